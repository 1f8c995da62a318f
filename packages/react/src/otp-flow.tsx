import { type FormEvent, useEffect, useRef, useState } from "react";
import { CodeInput } from "./code-input.js";
import { retryDeadline } from "./error-text.js";
import { type OtpLocale, useOtpLocale } from "./i18n.js";
import type { OtpLabels } from "./labels.js";
import type { OtpErrorInfo, OtpMessages } from "./messages.js";
import { PhoneForm } from "./phone-form.js";
import { ResendButton } from "./resend-button.js";
import { OtpStyles } from "./styles.js";
import { type UseOtpFlowOptions, useOtpFlow } from "./use-otp-flow.js";

export interface OtpFlowProps extends UseOtpFlowOptions {
  /** Digits in a code (otp-core's `codeLength`). Default: 6. */
  codeLength?: number;
  /** See `CodeInput`. Default: `"boxes"`. */
  variant?: "boxes" | "single";
  /** Error messages by code, over the locale's. Default: the locale's. */
  messages?: OtpMessages;
  /** Interface text, over the locale's. Default: the locale's. */
  labels?: Partial<OtpLabels>;
  /**
   * The interface language: a BCP 47 tag (`"fr"`, `"pt-BR"`; the bundled locale nearest to it is
   * loaded lazily) or an `OtpLocale`. Default: the browser's languages (`navigator.languages`).
   */
  locale?: string | OtpLocale;
  /** Send the interface language as the send body's `locale`, so the SMS comes in it too. Default: false. */
  sendLocale?: boolean;
  /** The countries offered (the app's allowed countries, e.g. `OTP_COUNTRIES`). Default: every region. */
  countries?: readonly string[] | string;
  /** The preselected country (e.g. `OTP_DEFAULT_COUNTRY`). Default: the browser's region. */
  defaultCountry?: string | undefined;
  /** Added to the wrapper's `otpkit otpkit-flow` classes. */
  className?: string;
}

/**
 * The whole sign-in: phone (country selector, formatting as typed) → code (masked number, Verify,
 * resend countdown, attempts left, live waits) → verified, in the person's language.
 */
export function OtpFlow({
  codeLength = 6,
  variant,
  messages: messageOverrides,
  labels: labelOverrides,
  locale,
  sendLocale = false,
  countries,
  defaultCountry,
  className,
  ...options
}: OtpFlowProps) {
  const language = useOtpLocale(locale);
  const flow = useOtpFlow(
    sendLocale ? { ...options, sendBody: { ...options.sendBody, locale: language.locale } } : options,
  );
  const labels = { ...language.labels, ...labelOverrides };
  const messages = { ...language.messages, ...messageOverrides };
  const classes = ["otpkit otpkit-flow", className].filter(Boolean).join(" ");
  const typed = useRef("");
  const [incomplete, setIncomplete] = useState<OtpErrorInfo>();

  // A new code, or a wrong one: the boxes start over, and so does the incomplete-code message.
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed on the attempt on purpose.
  useEffect(() => {
    typed.current = "";
    setIncomplete(undefined);
  }, [flow.attempt, flow.step]);

  if (flow.step === "phone" || !flow.sent) {
    return (
      <div className={classes} lang={language.locale}>
        <PhoneForm
          onSubmit={flow.submitPhone}
          pending={flow.pending === "send"}
          error={flow.error}
          messages={messages}
          labels={labels}
          defaultValue={flow.entry?.typed ?? ""}
          {...(countries !== undefined ? { countries } : {})}
          defaultCountry={flow.entry?.country ?? defaultCountry}
          locale={language.locale}
        />
      </div>
    );
  }
  if (flow.step === "verified") {
    return (
      <div className={classes} lang={language.locale}>
        <OtpStyles />
        <p className="otpkit-status" role="status">
          {labels.verified}
        </p>
      </div>
    );
  }

  const { sent } = flow;
  // A refused resend pushes the resend time out to the refusal's wait.
  const retryAt = retryDeadline(flow.error);
  const resendAt = Math.max(sent.resendAvailableAt.getTime(), retryAt ?? 0);
  // The lockout text says when a new code can be asked for, from the same clock as the button.
  const error =
    incomplete ?? (flow.error?.code === "too_many_attempts" ? { ...flow.error, resendAt } : flow.error);

  const verifyTyped = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (flow.pending || !flow.codeUsable) return;
    const digits = typed.current;
    if (digits.length < codeLength) {
      setIncomplete({ code: "incomplete_code", codeLength });
      return;
    }
    void flow.submitCode(digits);
  };

  return (
    <div className={classes} lang={language.locale}>
      <OtpStyles />
      <p className="otpkit-status">{labels.sentTo(sent.maskedPhone)}</p>
      <form className="otpkit-code-form" onSubmit={verifyTyped} noValidate>
        <CodeInput
          key={flow.attempt}
          length={codeLength}
          {...(variant ? { variant } : {})}
          onChange={(value) => {
            typed.current = value;
            if (incomplete) setIncomplete(undefined);
          }}
          onComplete={(value) => {
            typed.current = value;
            setIncomplete(undefined);
            void flow.submitCode(value);
          }}
          disabled={flow.pending === "verify" || !flow.codeUsable}
          error={error}
          messages={messages}
          labels={labels}
        />
        <button
          className="otpkit-button"
          type="submit"
          disabled={flow.pending === "verify" || !flow.codeUsable}
        >
          {flow.pending === "verify" ? labels.verifying : labels.verify}
        </button>
      </form>
      <p className="otpkit-sr-only" aria-live="polite">
        {flow.pending === "verify" ? labels.verifying : ""}
      </p>
      <p className="otpkit-notice" role="status">
        {flow.notice === "resent" ? labels.codeResent : ""}
      </p>
      <div className="otpkit-actions">
        <ResendButton
          labels={labels}
          availableAt={resendAt}
          onResend={flow.resend}
          pending={flow.pending === "send"}
        />
        <button className="otpkit-link" type="button" onClick={flow.changePhone}>
          {labels.changePhone}
        </button>
      </div>
    </div>
  );
}
