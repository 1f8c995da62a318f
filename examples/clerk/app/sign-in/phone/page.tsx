import { PhoneSignIn } from "./phone-sign-in";

export const metadata = { title: "Sign in with your phone · otpkit example" };

export default function PhoneSignInPage() {
  return (
    <>
      <h1>Sign in with your phone</h1>
      <p className="muted">For accounts that already have a verified phone number.</p>
      <PhoneSignIn />
    </>
  );
}
