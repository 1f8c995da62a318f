/**
 * `otp.verify`: find the pending code (by id, by phone + purpose, or by subject + purpose), hash
 * the candidate, and let the store decide in ONE atomic `check` — expiry, attempts, compare,
 * consume — so that concurrent requests can never both succeed or lose a counted guess.
 */
import { type Engine, guard, storeFailure } from "./engine.js";
import { invalid, OtpError } from "./errors.js";
import { normalizeIp } from "./ip.js";
import { parseVerificationId, purposeLetter, recordKey, ruleHit } from "./keys.js";
import { failureRules, requesterOf, retrySeconds, tallyOf } from "./limits.js";
import type { Purpose } from "./message.js";
import { maskPhone, parsePhone } from "./phone.js";
import type { CheckInput, CheckResult } from "./store.js";
import { checkPurpose, checkSubject, checkTenant, codePattern } from "./validate.js";

export interface VerifyInput {
  /** The verification id from `send`. Or give `phone` (+ `purpose`), or `subject` (+ `purpose`). */
  id?: string;
  /** The number the code was sent to (any spelling that normalises to it). */
  phone?: string;
  /** Default: the purpose in the id, else `"login"`. */
  purpose?: Purpose;
  /** Default: none. */
  tenant?: string;
  /**
   * The server-trusted user the code was sent for (`send({ subject })`). Required for such codes:
   * without it, or with another subject, they are `not_found`. Not combined with `phone`.
   */
  subject?: string;
  /** The code the person typed. Or give `token` from a magic link. */
  code?: string;
  token?: string;
  /**
   * The requester's IP (canonicalised here): consecutive failures are counted per phone and
   * requester, and verifications per IP (`limits.verifyPerIp`). Default: none (callers without an
   * IP share one requester bucket per phone).
   */
  ip?: string;
}

export interface VerifyResult {
  id: string;
  /** The E.164 number the code was sent to: the number that is now proven. */
  phone: string;
  purpose: Purpose;
  status: "approved";
  /** What `send` was given as `metadata`. */
  metadata: Record<string, unknown>;
}

/** A requester past its verification budget (`limits.verifyPerIp`). */
function verifyLimited(retryAfterMs: number) {
  const retryAfter = retrySeconds(retryAfterMs);
  return new OtpError("rate_limited", `Too many verifications. Try again in ${retryAfter} seconds.`, {
    retryAfter,
    source: "app",
  });
}

const notFound = () => new OtpError("not_found", "No pending code for this request. Request a new code.");

export async function verify(engine: Engine, input: VerifyInput): Promise<VerifyResult> {
  if (typeof input !== "object" || input === null) throw invalid("body", "Verify needs an object.");
  const tenant = checkTenant(input.tenant);
  const subject = checkSubject(input.subject);
  const { code, token } = input;
  let id = input.id;
  if ((code === undefined) === (token === undefined))
    throw invalid("code", "Give either a code or a magic-link token.");
  if (token !== undefined) {
    if (typeof token !== "string" || token.length > 120) throw invalid("token", "This link is not valid.");
    id = token.slice(0, token.indexOf("."));
  } else if (typeof code !== "string" || !codePattern.test(code)) {
    throw invalid("code", "Codes are 4 to 8 digits.");
  }
  if (subject !== undefined && input.phone !== undefined)
    throw invalid("phone", "A code bound to a user is found by the user, not by a phone number.");
  const ip = normalizeIp(input.ip);

  let key: string;
  let digest: string;
  let purpose: Purpose;
  let phone: string | undefined;
  let masked: string | undefined;
  if (id !== undefined) {
    const parsed = parseVerificationId(id);
    if (!parsed) throw new OtpError("not_found", "No pending verification has this id.");
    purpose = parsed.purpose;
    if (input.purpose !== undefined && checkPurpose(input.purpose) !== purpose) throw notFound();
    if (code !== undefined && code.length !== parsed.codeLength)
      throw invalid("code", `Codes for this verification have ${parsed.codeLength} digits.`);
    // A subject's code answers only to that subject; an unbound code never to a subject.
    if (parsed.bound !== (subject !== undefined)) throw notFound();
    if (subject !== undefined && (await engine.digest("subject", tenant, subject)) !== parsed.digest)
      throw notFound();
    // An id and a phone together must agree (a sign-in form sends both): the id names the number.
    if (
      input.phone !== undefined &&
      (await engine.digest("phone", tenant, phoneOf(engine, input.phone))) !== parsed.digest
    )
      throw notFound();
    digest = parsed.digest;
    key = recordKey(tenant, parsed.letter, digest);
  } else if (subject !== undefined) {
    purpose = checkPurpose(input.purpose ?? "login");
    digest = await engine.digest("subject", tenant, subject);
    key = recordKey(tenant, purposeLetter(purpose, true), digest);
  } else {
    purpose = checkPurpose(input.purpose ?? "login");
    phone = phoneOf(engine, input.phone);
    digest = await engine.digest("phone", tenant, phone);
    key = recordKey(tenant, purposeLetter(purpose, false), digest);
  }

  // Plain without a subject or an IP, or from node:crypto: no `await` (a microtask) for it.
  const asking = requesterOf(engine, tenant, subject, ip);
  const { requester, ipDigest } = asking instanceof Promise ? await asking : asking;
  const { limits } = engine.config;
  const perIp =
    ipDigest !== undefined && limits.verifyPerIp.length
      ? limits.verifyPerIp.map((rule) => ruleHit(tenant, "verify_ip", rule, ipDigest))
      : undefined;
  // A store that judges hits inside `check` counts the IP's verification in the same atomic step
  // (one round trip); any other store gets them first, as a `hit` of their own.
  const hitsInCheck = perIp !== undefined && engine.store.checkHits === true;
  if (perIp !== undefined && !hitsInCheck) {
    const counted = await guard(() => engine.store.hit(perIp, engine.clock()));
    if (!counted.ok) throw verifyLimited(counted.retryAfterMs);
  }
  const failures = failureRules(limits, tenant, digest, requester);

  // Plain arrays and strings from node:crypto are taken without an `await` (a microtask each).
  const candidates = engine.candidates(`${token === undefined ? "code" : "link"}|${key}|${token ?? code}`);
  const hashes = Array.isArray(candidates) ? candidates : await candidates;
  const now = engine.clock();
  // One input object with only the fields that apply (no `id: undefined`, no copy to add `hits`).
  const checkInput: CheckInput = { hashes, now, failures };
  if (id !== undefined) checkInput.id = id;
  if (hitsInCheck) checkInput.hits = perIp;
  let result: CheckResult;
  // `guard`'s fail-closed rule written out (the hot path's one store step): a store failure,
  // thrown or rejected, is `store_unavailable` — never an answer.
  try {
    result = await engine.store.check(key, checkInput);
  } catch (error) {
    throw storeFailure(error);
  }
  if (result.status === "limited") throw verifyLimited(result.retryAfterMs);
  if (result.status === "approved") {
    const opened = engine.open(result.record.data, key);
    const data = JSON.parse(typeof opened === "string" ? opened : await opened) as {
      phone: string;
      masked: string;
      metadata: Record<string, unknown>;
      country?: string;
    };
    // The tripwire's verified events for the number's range and country. (Counted in a step of its
    // own after the approval: the check found the record by its key and had no other way to know
    // the number. Only a count: losing it costs accuracy, never safety.)
    // (A plain answer — no tripwire, or node:crypto's digest — is taken without an `await`.)
    const tallied = tallyOf(engine, tenant, data.phone, data.country);
    const tally = tallied instanceof Promise ? await tallied : tallied;
    if (tally.length) await guard(() => engine.store.hit(tally, now)).catch(() => undefined);
    engine.emit?.({
      type: "verified",
      id: result.record.id,
      purpose,
      phone: data.masked,
      ...(tenant ? { tenant } : {}),
    });
    return {
      id: result.record.id,
      phone: data.phone,
      purpose,
      status: "approved",
      metadata: data.metadata ?? {},
    };
  }
  if (engine.emit) {
    const maskedPhone = masked ?? (phone ? maskPhone(phone) : undefined);
    engine.emit({
      type: "failed",
      reason:
        result.status === "invalid"
          ? "invalid_code"
          : result.status === "locked"
            ? "too_many_attempts"
            : result.status,
      purpose,
      ...(maskedPhone ? { phone: maskedPhone } : {}),
      ...(id ? { id } : {}),
      ...(tenant ? { tenant } : {}),
    });
  }
  switch (result.status) {
    case "invalid":
      throw new OtpError(
        "invalid_code",
        `That code is not right. ${result.attemptsLeft} attempt${result.attemptsLeft === 1 ? "" : "s"} left.`,
        { attemptsLeft: result.attemptsLeft },
      );
    case "too_many_attempts":
      throw new OtpError("too_many_attempts", "Too many wrong codes. Request a new code.", {
        attemptsLeft: 0,
      });
    case "locked": {
      const retryAfter = retrySeconds(result.retryAfterMs);
      throw new OtpError("too_many_attempts", `Too many wrong codes. Try again in ${retryAfter} seconds.`, {
        retryAfter,
      });
    }
    case "expired":
      throw new OtpError("expired", "This code has expired. Request a new code.");
    default:
      throw notFound();
  }
}

/**
 * The number a verify names, normalised as send normalised it (`+4407911123456` and
 * `+44 7911 123456` are one number). Test numbers match as typed. The send already applied the
 * country policy: a number that was never sent to simply finds nothing.
 */
function phoneOf(engine: Engine, input: unknown): string {
  if (typeof input === "string" && engine.testNumbers.has(input)) return input;
  return parsePhone(input, { defaultCountry: engine.phonePolicy.defaultCountry, allowNonMobileTypes: true })
    .e164;
}
