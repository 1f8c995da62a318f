/**
 * Which channel a code goes by. The hook never learns what the client asked for: with the hook on,
 * GoTrue accepts `channel: "whatsapp"` on `/otp` and drops it (supabase/supabase#30412), so the
 * app decides here — one channel for all, per country, or per user (a `user_metadata` hint).
 */
import { type Channel, type CountryCode, type Purpose, parsePhone } from "@otpkit/otp-core";
import type { SupabaseUser } from "./payload.js";

export interface ChannelContext {
  /** E.164. */
  phone: string;
  /** The number's country, when it parses. */
  country: CountryCode | undefined;
  /** The GoTrue user from the payload (server-made, signed: safe to read `user_metadata` hints from). */
  user: SupabaseUser;
  purpose: Purpose;
}

export type ChannelPolicy =
  | Channel
  | {
      /** Channel per country (ISO 3166 alpha-2), e.g. `{ BR: "whatsapp", IN: "whatsapp" }`. */
      byCountry: Partial<Record<CountryCode, Channel>>;
      /** For every other country. Default: `"sms"`. */
      otherwise?: Channel;
    }
  | ((context: ChannelContext) => Channel | Promise<Channel>);

const isChannel = (value: unknown): value is Channel => value === "sms" || value === "whatsapp";

function countryOf(phone: string): CountryCode | undefined {
  try {
    return parsePhone(phone).country;
  } catch {
    return undefined; // deliver() refuses the number with its own, precise error
  }
}

/** The channel `policy` picks for this delivery. A policy answering something else is a bug: SMS. */
export async function pickChannel(
  policy: ChannelPolicy,
  input: Omit<ChannelContext, "country">,
): Promise<Channel> {
  if (typeof policy === "string") return policy;
  if (typeof policy === "function") {
    const chosen = await policy({ ...input, country: countryOf(input.phone) });
    return isChannel(chosen) ? chosen : "sms";
  }
  const country = countryOf(input.phone);
  return (country && policy.byCountry[country]) || policy.otherwise || "sms";
}

/** Whether the check of the option at startup passes: a typo must fail at deploy, not per SMS. */
export function isChannelPolicy(value: unknown): value is ChannelPolicy {
  if (isChannel(value) || typeof value === "function") return true;
  if (typeof value !== "object" || value === null) return false;
  const { byCountry, otherwise } = value as { byCountry?: unknown; otherwise?: unknown };
  return (
    typeof byCountry === "object" &&
    byCountry !== null &&
    Object.values(byCountry).every(isChannel) &&
    (otherwise === undefined || isChannel(otherwise))
  );
}
