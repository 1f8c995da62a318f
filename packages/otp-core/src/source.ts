import type { Otp } from "./otp.js";

/**
 * The otp-core instance, or a function that makes it on first use — the `otp` option of every
 * adapter. The function form lets an app create it from the platform's context at request time:
 * `next build` imports route modules without runtime secrets; Auth0 Actions get their secrets on
 * `event.secrets`; Firebase's `defineSecret` values exist only inside a function call; store
 * clients connect asynchronously.
 */
export type OtpSource<Context = void> = Otp | ((context: Context) => Otp | Promise<Otp>);

/**
 * Turns an `OtpSource` into a getter. The function runs once, on the first call (with that call's
 * context), and its instance is reused after that; a creation that fails is not cached, so the next
 * call tries again (a store that was down, a secret set since).
 */
export function resolveOtp<Context = void>(source: OtpSource<Context>): (context: Context) => Promise<Otp> {
  if (typeof source !== "function") {
    const ready = Promise.resolve(source);
    return () => ready;
  }
  let pending: Promise<Otp> | undefined;
  return (context) => {
    pending ??= Promise.resolve(context)
      .then(source)
      .catch((error: unknown) => {
        pending = undefined;
        throw error;
      });
    return pending;
  };
}
