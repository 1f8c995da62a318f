import { currentUser } from "@clerk/nextjs/server";
import Link from "next/link";
import { AddPhone } from "./add-phone";

export const metadata = { title: "Phone settings · otpkit example" };

/** The signed-in user's numbers, from Clerk's Backend API; the form adds one through /api/phone. */
export default async function SettingsPage() {
  const user = await currentUser();
  if (!user)
    return (
      <>
        <h1>Phone settings</h1>
        <p>
          <Link href="/">Sign in</Link> first.
        </p>
      </>
    );
  return (
    <>
      <h1>Phone settings</h1>
      {user.phoneNumbers.length ? (
        <ul className="phones" data-testid="phone-numbers">
          {user.phoneNumbers.map((phone) => (
            <li key={phone.id}>
              {phone.phoneNumber}
              {phone.id === user.primaryPhoneNumberId ? " (primary)" : ""}
              {phone.verification?.status === "verified" ? " · verified" : " · not verified"}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No phone number yet.</p>
      )}
      <h2>Add a phone number</h2>
      <AddPhone />
    </>
  );
}
