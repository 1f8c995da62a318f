import type { DefaultSession } from "next-auth";

declare module "next-auth" {
  interface Session {
    user: DefaultSession["user"] & { phone?: string | undefined };
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    phone?: string | undefined;
  }
}
