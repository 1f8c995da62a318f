import { ClerkProvider } from "@clerk/nextjs";
import type { Metadata } from "next";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: "otpkit · Clerk phone verification",
  description:
    "Add and verify a phone number on a Clerk account with a one-time code: @clerk/nextjs + otpkit.",
};

// Every page depends on the signed-in user: render per request (and so `next build` needs no Clerk keys).
export const dynamic = "force-dynamic";

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <ClerkProvider>
      <html lang="en">
        <body>
          <main className="card">{children}</main>
          <footer className="footer">
            otpkit example · Clerk · codes go to the <code>otpkit sandbox</code> inbox in development
          </footer>
        </body>
      </html>
    </ClerkProvider>
  );
}
