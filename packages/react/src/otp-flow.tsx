import { CodeInput } from "./code-input.js";
import { defaultLabels, type OtpLabels } from "./labels.js";
import type { OtpMessages } from "./messages.js";
import { PhoneForm } from "./phone-form.js";
import { ResendButton } from "./resend-button.js";
import { OtpStyles } from "./styles.js";
import { type UseOtpFlowOptions, useOtpFlow } from "./use-otp-flow.js";

export interface OtpFlowProps extends UseOtpFlowOptions {
  /** Digits in a code (otp-core's `codeLength`). Default: 6. */
  codeLength?: number;
  /** See `CodeInput`. Default: `"boxes"`. */
  variant?: "boxes" | "single";
  /** Error messages by code. Default: `defaultMessages`. */
  messages?: OtpMessages;
  /** Interface text. Default: `defaultLabels`. */
  labels?: Partial<OtpLabels>;
  /** Added to the wrapper's `otpkit otpkit-flow` classes. */
  className?: string;
}

/** The whole sign-in: phone → code (masked number, resend countdown, errors) → verified. */
export function OtpFlow({
  codeLength = 6,
  variant,
  messages,
  labels: labelOverrides,
  className,
  ...options
}: OtpFlowProps) {
  const flow = useOtpFlow(options);
  const labels = { ...defaultLabels, ...labelOverrides };
  const shared = { ...(messages ? { messages } : {}), ...(labelOverrides ? { labels: labelOverrides } : {}) };
  const classes = ["otpkit otpkit-flow", className].filter(Boolean).join(" ");

  if (flow.step === "phone" || !flow.sent) {
    return (
      <PhoneForm
        {...shared}
        {...(className ? { className } : {})}
        onSubmit={flow.submitPhone}
        pending={flow.pending === "send"}
        error={flow.error}
        defaultValue={flow.sent?.phone ?? ""}
      />
    );
  }
  if (flow.step === "verified") {
    return (
      <div className={classes}>
        <OtpStyles />
        <p className="otpkit-status" role="status">
          {labels.verified}
        </p>
      </div>
    );
  }
  return (
    <div className={classes}>
      <OtpStyles />
      <p className="otpkit-status">{labels.sentTo(flow.sent.maskedPhone)}</p>
      <CodeInput
        {...shared}
        key={flow.attempt}
        length={codeLength}
        {...(variant ? { variant } : {})}
        onComplete={flow.submitCode}
        disabled={flow.pending === "verify" || !flow.codeUsable}
        error={flow.error}
      />
      <p className="otpkit-sr-only" aria-live="polite">
        {flow.pending === "verify" ? labels.verifying : ""}
      </p>
      <div className="otpkit-actions">
        <ResendButton
          {...(labelOverrides ? { labels: labelOverrides } : {})}
          availableAt={flow.sent.resendAvailableAt}
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
