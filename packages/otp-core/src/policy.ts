/**
 * The phone policy stage, shared by `send` and `deliver`: normalise the number, apply the country
 * and number-type policy, and recognise test numbers. Runs before anything is counted or paid for.
 */
import type { Engine } from "./engine.js";
import { isOtpError } from "./errors.js";
import { maskPhone, parsePhone } from "./phone.js";

export interface ScreenedPhone {
  /** E.164. */
  phone: string;
  masked: string;
  /** The fixed code of a test number (send only): nothing is sent. */
  testCode?: string;
}

export function screenPhone(
  engine: Engine,
  input: unknown,
  { tenant, ip, testNumbers }: { tenant: string; ip: string | undefined; testNumbers: boolean },
): ScreenedPhone {
  // A test number matches as typed (it may be one libphonenumber calls invalid, like +1 555…)
  // or once normalised, so "+1 425 555 0123" can never slip past its entry to a real SMS.
  const typed = testNumbers && typeof input === "string" ? engine.testNumbers.get(input) : undefined;
  if (typed) return { phone: input as string, masked: maskPhone(input as string), testCode: typed };
  try {
    const { e164, masked } = parsePhone(input, engine.phonePolicy);
    const testCode = testNumbers ? engine.testNumbers.get(e164) : undefined;
    return testCode ? { phone: e164, masked, testCode } : { phone: e164, masked };
  } catch (error) {
    if (isOtpError(error) && error.code === "blocked") {
      engine.emit?.({
        type: "blocked",
        reason: "country",
        ...(tenant ? { tenant } : {}),
        ...(ip ? { ip } : {}),
      });
    }
    throw error;
  }
}
