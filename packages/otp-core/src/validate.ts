/**
 * Input checks shared by every stage: one copy of each pattern. Each check either returns the
 * clean value or throws `invalid_request` naming the field; none of them touches the store.
 */
import { configError, invalid } from "./errors.js";
import { type Purpose, purposes } from "./message.js";

/** At most `limit` events in any sliding window of `windowSeconds`. */
export interface RateRule {
  limit: number;
  windowSeconds: number;
}

export const tenantPattern = /^[\w.-]{1,64}$/;
/** A code otpkit made: 4–8 digits. */
export const codePattern = /^\d{4,8}$/;
/** A code a platform made and asks us to deliver (Supabase allows up to 10 digits). */
export const deliveredCodePattern = /^\d{4,10}$/;
export const e164Pattern = /^\+[1-9]\d{6,14}$/;
const maxMetadataBytes = 1024;
const maxSubjectLength = 256;
const encoder = new TextEncoder();

export const isWholeIn = (value: unknown, min: number, max: number): value is number =>
  Number.isInteger(value) && (value as number) >= min && (value as number) <= max;

export const checkMinutes = (value: unknown, field: string): number => {
  if (!isWholeIn(value, 1, 60))
    throw invalid(field, "Expiry must be a whole number of minutes from 1 to 60.");
  return value;
};

export const checkCodeLength = (value: unknown, field: string): number => {
  if (!isWholeIn(value, 4, 8)) throw invalid(field, "Codes have 4 to 8 digits.");
  return value;
};

export const checkPurpose = (value: unknown): Purpose => {
  if (!purposes.includes(value as Purpose)) throw invalid("purpose", `Purpose must be one of ${purposes}.`);
  return value as Purpose;
};

/** `""` for no tenant. */
export const checkTenant = (tenant: unknown): string => {
  if (tenant === undefined || tenant === "") return "";
  if (typeof tenant !== "string" || !tenantPattern.test(tenant))
    throw invalid("tenant", "Tenant ids are 1–64 letters, digits, '.', '_' or '-'.");
  return tenant;
};

/** The server-trusted user a code is bound to, or `undefined`. Never from a request body. */
export const checkSubject = (subject: unknown): string | undefined => {
  if (subject === undefined) return undefined;
  if (typeof subject !== "string" || subject.length === 0 || subject.length > maxSubjectLength)
    throw invalid("subject", `A subject is a user id of 1–${maxSubjectLength} characters.`);
  return subject;
};

export const checkMetadata = (metadata: unknown): Record<string, unknown> => {
  if (metadata === undefined) return {};
  const valid =
    typeof metadata === "object" &&
    metadata !== null &&
    !Array.isArray(metadata) &&
    Object.getPrototypeOf(metadata) === Object.prototype;
  const json = valid ? JSON.stringify(metadata) : "";
  if (!valid || encoder.encode(json).length > maxMetadataBytes) {
    throw invalid("metadata", `Metadata is a plain JSON object of at most ${maxMetadataBytes} bytes.`);
  }
  // Re-parsing yields a clean copy: no prototype tricks, no shared references.
  return JSON.parse(json);
};

export const checkRules = (rules: readonly RateRule[], field: string): readonly RateRule[] => {
  if (
    !Array.isArray(rules) ||
    !rules.every((rule) => isWholeIn(rule?.limit, 1, 1e9) && isWholeIn(rule?.windowSeconds, 1, 1e9))
  ) {
    throw configError(`${field}: each rule needs a positive whole limit and windowSeconds.`);
  }
  return rules;
};

/** A BCP 47 language tag (`pt-BR`, Auth0's `pt_BR`), or `undefined`. */
export const checkLocale = (value: unknown): string | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$/.test(value))
    throw invalid("locale", "A locale is a BCP 47 language tag like en, pt-BR or en_US.");
  return value;
};

/** The caller's timeout for one delivery, in milliseconds (1 ms – 60 s), or `undefined`. */
export const checkTimeout = (value: unknown): number | undefined => {
  if (value === undefined) return undefined;
  if (!isWholeIn(value, 1, 60_000)) throw invalid("timeoutMs", "timeoutMs is 1 to 60000 milliseconds.");
  return value;
};

/** Runs a request validator on configuration, reporting failures as `invalid_config` naming the option. */
export function configured<T>(option: string, validate: () => T): T {
  try {
    return validate();
  } catch (error) {
    throw configError(`${option}: ${(error as Error).message}`);
  }
}
