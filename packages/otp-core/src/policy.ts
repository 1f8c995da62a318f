/**
 * The phone policy stage, shared by `send` and `deliver`, before anything is counted or paid for:
 * normalise the number, recognise test numbers and the guard's safe list, then the block list, the
 * number type and the country — each in its mode (`enforce` refuses; `monitor` reports and lets
 * the send go on).
 */
import type { Engine } from "./engine.js";
import { OtpError } from "./errors.js";
import type { BlockReason } from "./events.js";
import type { GuardRule } from "./guard.js";
import { type CountryCode, maskPhone, phoneVerdict, readPhone, verdictError } from "./phone.js";

export interface ScreenedPhone {
  /** E.164. */
  phone: string;
  masked: string;
  country: CountryCode | undefined;
  /** The fixed code of a test number (send only): nothing is sent. */
  testCode?: string;
  /** On the guard's safe list: velocity, tripwire, spend and challenge do not apply. */
  safe: boolean;
}

/** Reports a guard decision; refuses with `error` unless the rule only monitors. */
export function guardDecision(
  engine: Engine,
  rule: GuardRule,
  error: OtpError,
  event: { phone?: string; tenant: string; ip: string | undefined },
): void {
  const monitor = engine.guard.mode(rule) === "monitor";
  engine.emit?.({
    type: "blocked",
    reason: rule as BlockReason,
    ...(monitor ? { monitor: true } : {}),
    ...(event.phone ? { phone: event.phone } : {}),
    ...(event.tenant ? { tenant: event.tenant } : {}),
    ...(event.ip ? { ip: event.ip } : {}),
  });
  if (!monitor) throw error;
}

export function screenPhone(
  engine: Engine,
  input: unknown,
  { tenant, ip, testNumbers }: { tenant: string; ip: string | undefined; testNumbers: boolean },
): ScreenedPhone {
  // A test number matches as typed (it may be one libphonenumber calls invalid, like +1 555…)
  // or once normalised, so "+1 425 555 0123" can never slip past its entry to a real SMS.
  const typed = testNumbers && typeof input === "string" ? engine.testNumbers.get(input) : undefined;
  if (typed)
    return {
      phone: input as string,
      masked: maskPhone(input as string),
      country: undefined,
      testCode: typed,
      safe: true,
    };
  const parsed = readPhone(input, engine.phonePolicy.defaultCountry);
  const screened: ScreenedPhone = {
    phone: parsed.e164,
    masked: parsed.masked,
    country: parsed.country,
    safe: false,
  };
  const testCode = testNumbers ? engine.testNumbers.get(parsed.e164) : undefined;
  if (testCode) return { ...screened, testCode, safe: true };
  const { guard } = engine;
  if (guard.safeList.has(parsed.e164)) return { ...screened, safe: true };
  const event = { phone: parsed.masked, tenant, ip };
  if (guard.blockList.has(parsed.e164))
    guardDecision(
      engine,
      "block_list",
      new OtpError("blocked", "Codes cannot be sent to this number.", {
        field: "phone",
        reason: "block_list",
      }),
      event,
    );
  const verdict = phoneVerdict(parsed, engine.phonePolicy);
  if (verdict)
    guardDecision(
      engine,
      verdict.code === "blocked" ? "country" : "number_type",
      verdictError(verdict),
      event,
    );
  return screened;
}
