import { Show, SignInButton, UserButton } from "@clerk/nextjs";
import Link from "next/link";

export default function Home() {
  return (
    <>
      <h1>otpkit + Clerk</h1>
      <Show when="signed-out">
        <p>Sign in with Clerk, then add a phone number to your account.</p>
        <p>
          <SignInButton /> · or <Link href="/sign-in/phone">sign in with a texted code</Link>
        </p>
      </Show>
      <Show when="signed-in">
        <p>
          <UserButton /> <Link href="/settings">Phone settings</Link>
        </p>
      </Show>
    </>
  );
}
