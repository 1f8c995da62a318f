import { clerkMiddleware } from "@clerk/nextjs/server";

/**
 * Clerk's middleware (Next.js 16 calls it `proxy.ts`) verifies the session token on every request,
 * so that `auth()` in the route handlers knows the user. `CLERK_JWT_KEY` (Dashboard > API keys >
 * JWT public key, PEM) makes that networkless; @clerk/nextjs does not read it from the environment
 * by itself, hence passed here. Without it the middleware fetches the JWKS from the Backend API.
 */
export default clerkMiddleware({
  ...(process.env.CLERK_JWT_KEY ? { jwtKey: process.env.CLERK_JWT_KEY } : {}),
});

export const config = {
  matcher: [
    // Everything but Next's internals and static files…
    "/((?!_next|[^?]*\\.(?:html?|css|js(?!on)|jpe?g|webp|png|gif|svg|ttf|woff2?|ico|csv|docx?|xlsx?|zip|webmanifest)).*)",
    // …and always the API routes.
    "/(api|trpc)(.*)",
  ],
};
