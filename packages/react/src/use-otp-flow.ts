import { useCallback, useRef, useState } from "react";
import { requestCode, type SentCode, toErrorInfo } from "./client.js";
import type { OtpErrorInfo } from "./messages.js";
import type { PhoneEntry } from "./phone-form.js";

export interface VerifyInput {
  /** The normalized E.164 number the code was sent to. */
  phone: string;
  code: string;
  /** The verification id from the send. */
  id: string;
}

export interface UseOtpFlowOptions {
  /**
   * Checks the code, e.g. `({ phone, code }) => signIn("sms-otp", { phone, code, redirect: false })`.
   * It fails by throwing an error with a `code`, or by resolving to an object whose `error` is a
   * code (NextAuth's `signIn` result); anything else is success.
   */
  verify: (input: VerifyInput) => Promise<unknown>;
  /** Called after a successful verify (navigate, refresh the session…). Default: none. */
  onVerified?: (input: VerifyInput) => void;
  /** The otpkit send endpoint (`createSendRoute`). Default: `"/api/otp/send"`. */
  sendUrl?: string;
  /** Extra JSON for the send endpoint, e.g. `{ purpose: "signup" }`. Default: none. */
  sendBody?: Record<string, unknown>;
  /** Replaces the HTTP send entirely (tests, custom transports). Default: `requestCode(sendUrl, …)`. */
  send?: (phone: string) => Promise<SentCode>;
  /** Milliseconds since the epoch. Default: `Date.now`. */
  now?: () => number;
}

export type OtpFlowStep = "phone" | "code" | "verified";

export interface OtpFlowState {
  step: OtpFlowStep;
  /** The current send: masked phone, expiry and resend time. Kept on the phone step while the code lives. */
  sent: SentCode | undefined;
  /** The last failure, by stable code, with `retryAt` set where it has a wait. Cleared by the next action. */
  error: OtpErrorInfo | undefined;
  /** What is in flight. */
  pending: "send" | "verify" | undefined;
  /** Changes whenever the code boxes should start empty again (new code, wrong code): use it as their `key`. */
  attempt: number;
  /** Whether the current code can still be tried (not expired, locked or superseded). */
  codeUsable: boolean;
  /** `"resent"` right after a resend succeeded (for a confirmation); cleared by the next action. */
  notice: "resent" | undefined;
  /** What the person typed and the country selected, for refilling the phone step. */
  entry: PhoneEntry | undefined;
  /**
   * Sends a code to `phone` (E.164). Back on the phone step with the number the live code went to,
   * it returns to the code step instead: no new text, no cooldown.
   */
  submitPhone(phone: string, entry?: PhoneEntry): Promise<void>;
  submitCode(code: string): Promise<void>;
  /** Sends a new code to the same number. */
  resend(): Promise<void>;
  /** Back to the phone step (the sent code stays valid). */
  changePhone(): void;
}

/** Codes after which the current code can never succeed: only a new code helps. */
const deadCodeErrors = new Set(["too_many_attempts", "expired", "not_found"]);

/**
 * The phone → code → verified state machine, with no markup: sending (and resending) through the
 * otpkit send endpoint, verifying through the app's callback, errors as stable codes.
 */
export function useOtpFlow(options: UseOtpFlowOptions): OtpFlowState {
  const [step, setStep] = useState<OtpFlowStep>("phone");
  const [sent, setSent] = useState<SentCode>();
  const [error, setError] = useState<OtpErrorInfo>();
  const [pending, setPending] = useState<OtpFlowState["pending"]>();
  const [attempt, setAttempt] = useState(0);
  const [codeUsable, setCodeUsable] = useState(true);
  const [notice, setNotice] = useState<OtpFlowState["notice"]>();
  const [entry, setEntry] = useState<PhoneEntry>();
  // A synchronous guard: auto-submit and a click can land in the same tick, before state updates.
  const busy = useRef(false);
  const latest = useRef(options);
  latest.current = options;

  const run = useCallback(async (kind: "send" | "verify", task: () => Promise<void>) => {
    if (busy.current) return;
    busy.current = true;
    setPending(kind);
    setError(undefined);
    setNotice(undefined);
    try {
      await task();
    } catch (failure) {
      const info = toErrorInfo(failure);
      // One deadline from the moment it arrived, whichever step shows it and however often it remounts.
      setError(
        info.retryAfter
          ? { ...info, retryAt: (latest.current.now ?? Date.now)() + info.retryAfter * 1000 }
          : info,
      );
    } finally {
      busy.current = false;
      setPending(undefined);
    }
  }, []);

  const sendTo = useCallback(
    (phone: string, resend: boolean) =>
      run("send", async () => {
        const { send, sendUrl = "/api/otp/send", sendBody } = latest.current;
        const result = await (send
          ? send(phone)
          : requestCode(sendUrl, phone, sendBody ? { body: sendBody } : {}));
        setSent(result);
        setStep("code");
        setCodeUsable(true);
        setAttempt((count) => count + 1);
        if (resend) setNotice("resent");
      }),
    [run],
  );

  const submitPhone = useCallback(
    (phone: string, typed?: PhoneEntry) => {
      if (typed) setEntry(typed);
      // The same number as the live code's: that code still works, so no new text (and no cooldown).
      if (
        sent &&
        phone === sent.phone &&
        codeUsable &&
        sent.expiresAt.getTime() > (latest.current.now ?? Date.now)()
      ) {
        setError(undefined);
        setNotice(undefined);
        setStep("code");
        return Promise.resolve();
      }
      return sendTo(phone, false);
    },
    [sendTo, sent, codeUsable],
  );

  const submitCode = useCallback(
    (code: string) =>
      run("verify", async () => {
        if (!sent) return;
        const input = { phone: sent.phone, code, id: sent.id };
        try {
          const result = await latest.current.verify(input);
          const refusal = (result as { error?: unknown } | null | undefined)?.error;
          if (refusal) throw toErrorInfo(result);
        } catch (failure) {
          const info = toErrorInfo(failure);
          if (deadCodeErrors.has(info.code)) setCodeUsable(false);
          setAttempt((count) => count + 1);
          throw info;
        }
        setStep("verified");
        latest.current.onVerified?.(input);
      }),
    [run, sent],
  );

  return {
    step,
    sent,
    error,
    pending,
    attempt,
    codeUsable,
    notice,
    entry,
    submitPhone,
    submitCode,
    resend: useCallback(() => (sent ? sendTo(sent.phone, true) : Promise.resolve()), [sendTo, sent]),
    changePhone: useCallback(() => {
      setStep("phone");
      setError(undefined);
      setNotice(undefined);
    }, []),
  };
}
