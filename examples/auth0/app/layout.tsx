import type { Metadata } from "next";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: "otpkit · Auth0 SMS step-up",
  description: "An SMS code after the Auth0 login: a post-login Action redirect verified by otpkit.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <main className="card">{children}</main>
        <footer className="footer">
          otpkit example · Auth0 Actions · codes go to the <code>otpkit sandbox</code> inbox in development
        </footer>
      </body>
    </html>
  );
}
