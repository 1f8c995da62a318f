/**
 * The verify API's JSON (seed 001) ↔ core inputs and results. Shapes and types are checked here;
 * ranges (code_length 4–8, expiry 1–60, metadata size) in the core, so both paths refuse alike.
 */
import { invalid } from "./errors.js";
import type { Purpose } from "./message.js";
import type { CheckReply, SendReply } from "./protocol.js";
import type { SendInput, SendResult } from "./send.js";
import type { VerifyInput, VerifyResult } from "./verify.js";

type Body = Record<string, unknown>;

/** An own property of the body; JSON `null` counts as absent, like a missing field. */
function field(body: Body, name: string): unknown {
  return Object.hasOwn(body, name) && body[name] !== null ? body[name] : undefined;
}

function optionalString(body: Body, name: string): string | undefined {
  const value = field(body, name);
  if (value !== undefined && typeof value !== "string") throw invalid(name, `${name} must be a string.`);
  return value;
}

function optionalNumber(body: Body, name: string): number | undefined {
  const value = field(body, name);
  if (value !== undefined && typeof value !== "number") throw invalid(name, `${name} must be a number.`);
  return value;
}

export interface WirePolicy {
  allowCustomTemplates: boolean;
  allowCodeOptions: boolean;
  /** The purpose when the body names none. */
  defaultPurpose: Purpose;
  /** The server's purpose: the body's is ignored. */
  pinnedPurpose: Purpose | undefined;
}

export function sendInput(body: Body, policy: WirePolicy): SendInput {
  const template = optionalString(body, "template");
  if (template !== undefined && !policy.allowCustomTemplates)
    throw invalid("template", "Custom templates are disabled on this endpoint.");
  const input: SendInput = { phone: field(body, "phone") as string };
  const purpose = optionalString(body, "purpose");
  const channel = optionalString(body, "channel");
  const codeLength = optionalNumber(body, "code_length");
  const expiryMinutes = optionalNumber(body, "expiry_minutes");
  if (!policy.allowCodeOptions) {
    if (codeLength !== undefined)
      throw invalid("code_length", "This endpoint does not let callers choose code_length.");
    if (expiryMinutes !== undefined)
      throw invalid("expiry_minutes", "This endpoint does not let callers choose expiry_minutes.");
  }
  const metadata = field(body, "metadata");
  const captchaToken = optionalString(body, "captcha_token");
  const locale = optionalString(body, "locale");
  if (locale !== undefined) input.locale = locale;
  if (captchaToken !== undefined) input.challengeToken = captchaToken;
  if (template !== undefined) input.template = template;
  input.purpose = policy.pinnedPurpose ?? ((purpose ?? policy.defaultPurpose) as Purpose);
  if (channel !== undefined) input.channel = channel as SendInput["channel"];
  if (codeLength !== undefined) input.codeLength = codeLength;
  if (expiryMinutes !== undefined) input.expiryMinutes = expiryMinutes;
  if (metadata !== undefined) input.metadata = metadata as Record<string, unknown>;
  // Magic links are for the app's own server to request, not for a public JSON endpoint.
  input.link = false;
  return input;
}

/**
 * `by`: `"subject"` — the server knows the user, the body may carry just the code (and optionally
 * the id); `"id"` — the id is required (a phone alongside must agree with it); `"phone"` — the id or
 * the phone (and purpose).
 */
export function verifyInput(body: Body, policy: WirePolicy, by: "id" | "phone" | "subject"): VerifyInput {
  const id = optionalString(body, "id");
  const phone = field(body, "phone");
  if (id === undefined && by === "id") throw invalid("id", "Give the verification id the send answered.");
  if (id === undefined && phone === undefined && by === "phone")
    throw invalid("id", "Give the verification id, or the phone number (and purpose).");
  const input: VerifyInput = {};
  if (id !== undefined) input.id = id;
  // With an id, a phone is only a consistency check; with a subject, the core refuses it (a
  // user's code is found by the user).
  if (phone !== undefined) input.phone = phone as string;
  const purpose = policy.pinnedPurpose ?? optionalString(body, "purpose");
  // By id, the purpose is inside the id; by phone or subject, it picks which pending code is meant.
  if (purpose !== undefined) input.purpose = purpose as Purpose;
  else if (id === undefined) input.purpose = policy.defaultPurpose;
  const code = field(body, "code");
  const token = optionalString(body, "token");
  // A code sent as a JSON number has already lost its leading zeros: refuse it, do not guess.
  if (code !== undefined && typeof code !== "string")
    throw invalid("code", "code must be a string of digits.");
  if (code !== undefined) input.code = code;
  if (token !== undefined) input.token = token;
  return input;
}

export function sendReply(result: SendResult): SendReply {
  return {
    id: result.id,
    phone: result.phone,
    status: result.status,
    expires_at: result.expiresAt.toISOString(),
    masked_phone: result.maskedPhone,
    resend_available_at: result.resendAvailableAt.toISOString(),
  };
}

export function checkReply(result: VerifyResult, extra?: Record<string, unknown>): CheckReply {
  // The app's fields first: they can add to the reply, never change what was verified.
  return {
    ...(extra ?? {}),
    id: result.id,
    phone: result.phone,
    status: result.status,
    metadata: result.metadata,
  };
}
