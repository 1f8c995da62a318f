import { redirect } from "next/navigation";
import { getServerSession } from "next-auth";
import { authOptions } from "@/lib/auth";
import { SignOutButton } from "./sign-out-button";

export const metadata = { title: "Your account · otpkit example" };

/** Protected: the session comes from NextAuth's cookie, checked on the server for every request. */
export default async function AccountPage() {
  const session = await getServerSession(authOptions);
  if (!session?.user?.phone) redirect("/signin");
  return (
    <>
      <h1>You're signed in</h1>
      <p className="lead">Your phone number was verified with a one-time code.</p>
      <p>
        Signed in as{" "}
        <span className="phone" data-testid="signed-in-phone">
          {session.user.phone}
        </span>
      </p>
      <div className="row">
        <SignOutButton />
      </div>
    </>
  );
}
