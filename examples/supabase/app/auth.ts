// app/auth.ts — phone sign-in with supabase-js; the hook decides how the code travels.
import type { SupabaseClient, User } from "@supabase/supabase-js";

export type Outcome<T> = { ok: true; value: T } | { ok: false; status: number | undefined; message: string };

/**
 * Asks Supabase Auth for a code. A refusal from the hook (too many codes for this number or its
 * range, a blocked country, every provider down) arrives as the error's status and message.
 * `channel` is not passed: with a Send SMS Hook, GoTrue drops it; the hook's policy decides.
 */
export async function sendCode(supabase: SupabaseClient, phone: string): Promise<Outcome<void>> {
  const { error } = await supabase.auth.signInWithOtp({ phone });
  if (error) return { ok: false, status: error.status, message: error.message };
  return { ok: true, value: undefined };
}

/** Checks the code with Supabase Auth (GoTrue made it and checks it; otpkit only delivered it). */
export async function verifyCode(
  supabase: SupabaseClient,
  phone: string,
  token: string,
): Promise<Outcome<User>> {
  const { data, error } = await supabase.auth.verifyOtp({ phone, token, type: "sms" });
  if (error || !data.user) return { ok: false, status: error?.status, message: error?.message ?? "No user." };
  return { ok: true, value: data.user };
}
