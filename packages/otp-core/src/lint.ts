/**
 * Compliance presets and a configuration linter: what NIST SP 800-63B and OWASP ask of SMS
 * one-time codes, as defaults (`preset`) and as a line-by-line report of where a configuration
 * departs from them (`lintConfig`, `otpkit lint`, and `otpkit serve` at start).
 */
import type { OtpOptions } from "./config.js";
import { defaultExpiryMinutes, type Purpose, purposes } from "./message.js";

export type Preset = "nist-800-63b" | "owasp";

export interface LintFinding {
  /** `error`: departs from a SHALL; `warning`: from a SHOULD or a safe default; `notice`: to know. */
  level: "error" | "warning" | "notice";
  /** The option, e.g. `expiryMinutes.password_reset`. */
  setting: string;
  message: string;
  /** The document and section. */
  reference: string;
}

const nist = (section: string) => `NIST SP 800-63B ${section}`;
const owasp = (page: string) => `OWASP ${page} Cheat Sheet`;

/** What each preset sets (options the app gives still win). */
export const presetDefaults: Record<Preset, Partial<OtpOptions>> = {
  // Out-of-band secrets valid at most 10 minutes, used once, ≥ 20 bits (6 digits: 19.93 bits, which
  // NIST accepts: usnistgov/800-63-3#2000), at most 100 consecutive failures, rotate on resend.
  "nist-800-63b": {
    codeLength: 6,
    maxAttempts: 3,
    expiryMinutes: Object.fromEntries(
      purposes.map((purpose) => [purpose, Math.min(10, defaultExpiryMinutes[purpose])]),
    ),
    resendPolicy: "rotate",
    limits: { failures: { perPhone: { threshold: 100, backoffSeconds: 1, maxBackoffSeconds: 900 } } },
  },
  // Short-lived, single-use codes, few attempts, lockout with backoff, a new code on resend.
  owasp: {
    codeLength: 6,
    maxAttempts: 3,
    expiryMinutes: Object.fromEntries(
      purposes.map((purpose) => [purpose, Math.min(10, defaultExpiryMinutes[purpose])]),
    ),
    resendPolicy: "rotate",
  },
};

/** The options with a preset's defaults under them. */
export function withPreset(options: OtpOptions): OtpOptions {
  const preset = options.preset;
  if (!preset) return options;
  const defaults = presetDefaults[preset];
  return {
    ...defaults,
    ...options,
    expiryMinutes: { ...defaults.expiryMinutes, ...options.expiryMinutes },
    limits: {
      ...defaults.limits,
      ...options.limits,
      failures: { ...defaults.limits?.failures, ...options.limits?.failures },
    },
  };
}

/**
 * Where `options` depart from `preset` (default: the options' own preset, else NIST SP 800-63B),
 * one finding per line, with the document section. Pure: it creates nothing and sends nothing.
 */
export function lintConfig(
  input: OtpOptions,
  preset: Preset = input.preset ?? "nist-800-63b",
): LintFinding[] {
  const options = withPreset({ ...input, preset });
  const findings: LintFinding[] = [];
  const add = (level: LintFinding["level"], setting: string, message: string, reference: string) =>
    findings.push({ level, setting, message, reference });
  const strict = preset === "nist-800-63b";

  const codeLength = options.codeLength ?? 6;
  if (codeLength < 6)
    add(
      strict ? "error" : "warning",
      "codeLength",
      `${codeLength}-digit codes have ${(codeLength * Math.log2(10)).toFixed(1)} bits; 6 digits (19.9 bits) is the least accepted.`,
      strict ? nist("§5.1.3.2") : owasp("Multifactor Authentication"),
    );
  const expiry = { ...defaultExpiryMinutes, ...options.expiryMinutes };
  for (const purpose of purposes as readonly Purpose[]) {
    if (expiry[purpose] > 10)
      add(
        strict ? "error" : "warning",
        `expiryMinutes.${purpose}`,
        `${expiry[purpose]} minutes: a code should live at most 10.`,
        strict ? nist("§5.1.3.2") : owasp("Forgot Password"),
      );
  }
  const maxAttempts = options.maxAttempts ?? 3;
  if (maxAttempts > 5)
    add(
      "warning",
      "maxAttempts",
      `${maxAttempts} guesses per code: keep it to a few (default 3).`,
      owasp("Multifactor Authentication"),
    );
  const failures = options.limits?.failures;
  const perPhone = failures?.perPhone;
  if (perPhone === false)
    add(
      "error",
      "limits.failures.perPhone",
      "Consecutive failures per phone are unbounded: at most 100 are allowed.",
      nist("§5.2.2"),
    );
  if (failures?.perRequester === false)
    add(
      "warning",
      "limits.failures.perRequester",
      "One requester can guess across codes without a growing wait.",
      owasp("Authentication (account lockout)"),
    );
  if ((options.resendPolicy ?? "rotate") !== "rotate")
    add(
      "notice",
      "resendPolicy",
      "carry: a resend keeps the pending code's attempts and expiry (no extra guesses), but is not the fresh code OWASP describes.",
      owasp("Multifactor Authentication"),
    );
  if (options.limits?.perIp && options.limits.perIp.length === 0)
    add(
      "warning",
      "limits.perIp",
      "No per-IP send limit: one client can text many numbers (SMS pumping).",
      owasp("Denial of Service"),
    );
  if (options.limits?.verifyPerIp && options.limits.verifyPerIp.length === 0)
    add(
      "warning",
      "limits.verifyPerIp",
      "No per-IP verification limit: one client can spray guesses across codes.",
      owasp("Authentication"),
    );
  if (options.phone?.allowedCountries === undefined)
    add(
      "warning",
      "phone.allowedCountries",
      'No country policy: choose the countries you serve (or "all" on purpose); production refuses to start without one.',
      "otpkit fraud guard",
    );
  if (options.testNumbers && Object.keys(options.testNumbers).length)
    add(
      "warning",
      "testNumbers",
      "Test numbers bypass the SMS: never in production (refused there).",
      nist("§5.1.3.2"),
    );
  if (options.guard?.tripwire === false)
    add(
      "warning",
      "guard.tripwire",
      "The conversion tripwire is off: a pumped range is only stopped by velocity limits.",
      "otpkit fraud guard",
    );
  add(
    "notice",
    "channel",
    "SMS to a phone (the PSTN) is a restricted authenticator: offer an alternative and tell users the risk (SIM swap, number porting).",
    nist("§5.1.3.3"),
  );
  return findings;
}

/** `level  setting  message  (reference)`, one line per finding, for terminals and logs. */
export function formatFindings(findings: readonly LintFinding[]): string {
  return findings
    .map(
      (finding) => `${finding.level.padEnd(7)} ${finding.setting}: ${finding.message} (${finding.reference})`,
    )
    .join("\n");
}
