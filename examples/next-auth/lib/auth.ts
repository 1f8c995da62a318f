import { SmsOtpProvider, type SmsOtpUser } from "@otpkit/next-auth";
import type { NextAuthOptions } from "next-auth";
import { getOtp } from "./otp";

export const authOptions: NextAuthOptions = {
  providers: [
    // No findUser/createUser: the verified phone is the account. A real app looks its users up
    // here: SmsOtpProvider({ otp: getOtp, findUser: (phone) => db.user.findUnique({ where: { phone } }) }).
    SmsOtpProvider({ otp: getOtp }),
  ],
  // Credentials providers only work with JWT sessions in NextAuth v4.
  session: { strategy: "jwt", maxAge: 60 * 60 * 24 * 7 },
  pages: { signIn: "/signin" },
  callbacks: {
    jwt({ token, user }) {
      if (user) token.phone = (user as SmsOtpUser).phone;
      return token;
    },
    session({ session, token }) {
      session.user = { ...session.user, phone: token.phone };
      return session;
    },
  },
};
