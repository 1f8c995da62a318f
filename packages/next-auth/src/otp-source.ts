import type { Otp } from "@otpkit/otp-core";

/**
 * The otp-core instance, or a function that makes it on first use. The function form lets an
 * app read secrets and connect its store at request time: `next build` imports route modules
 * with `NODE_ENV=production` and no runtime secrets, and Redis/PostgreSQL clients are async.
 */
export type OtpSource = Otp | (() => Otp | Promise<Otp>);

/** Resolves an `OtpSource` once; a failed creation is retried on the next call, not cached. */
export function lazyOtp(source: OtpSource): () => Promise<Otp> {
  if (typeof source !== "function") return async () => source;
  let pending: Promise<Otp> | undefined;
  return () => {
    pending ??= Promise.resolve()
      .then(source)
      .catch((error) => {
        pending = undefined;
        throw error;
      });
    return pending;
  };
}
