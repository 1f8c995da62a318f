import type { Metadata } from "next";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: "otpkit · NextAuth SMS sign-in",
  description: "Sign in with a one-time code sent by SMS: NextAuth v4 + otpkit.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <main className="card">{children}</main>
        <footer className="footer">
          otpkit example · NextAuth v4 · codes go to the <code>otpkit sandbox</code> inbox in development
        </footer>
      </body>
    </html>
  );
}
