import { redirect } from "next/navigation";
import { getServerSession } from "next-auth";
import { authOptions } from "@/lib/auth";
import { SignInForm } from "./sign-in-form";

export const metadata = { title: "Sign in · otpkit example" };

/** Only http(s) URLs become a link: the variable is configuration, but a `javascript:` URL is never one. */
function inboxUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}

export default async function SignInPage() {
  if (await getServerSession(authOptions)) redirect("/account");
  // Read on the server at request time and handed to the client form as props: the country
  // selector offers exactly the countries the server sends to (OTP_COUNTRIES; the same development
  // default as lib/otp.ts) and starts on OTP_DEFAULT_COUNTRY.
  const countries = process.env.OTP_COUNTRIES ?? "US,CA,GB";
  const defaultCountry = process.env.OTP_DEFAULT_COUNTRY ?? "US";
  // Set by `pnpm demo` (and the tests) to the local `otpkit sandbox`; never set in a deployment.
  const inbox = inboxUrl(process.env.OTPKIT_INBOX_URL);
  return (
    <>
      <h1>Sign in with your phone</h1>
      <p className="lead">We'll text you a 6-digit code. No password needed.</p>
      <SignInForm countries={countries} defaultCountry={defaultCountry} />
      {inbox ? (
        <p className="dev-note">
          Development: the texts go to the{" "}
          <a href={inbox} target="_blank" rel="noreferrer">
            SMS inbox
          </a>
          .
        </p>
      ) : null}
    </>
  );
}
