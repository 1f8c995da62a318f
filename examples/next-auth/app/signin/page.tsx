import { redirect } from "next/navigation";
import { getServerSession } from "next-auth";
import { authOptions } from "@/lib/auth";
import { SignInForm } from "./sign-in-form";

export const metadata = { title: "Sign in · otpkit example" };

export default async function SignInPage() {
  if (await getServerSession(authOptions)) redirect("/account");
  return (
    <>
      <h1>Sign in with your phone</h1>
      <p className="lead">We'll text you a 6-digit code. No password needed.</p>
      <SignInForm />
    </>
  );
}
