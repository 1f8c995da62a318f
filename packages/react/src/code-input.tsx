import { type CSSProperties, useEffect, useId } from "react";
import { ErrorText } from "./error-text.js";
import { defaultLabels, type OtpLabels } from "./labels.js";
import type { OtpErrorInfo, OtpMessages } from "./messages.js";
import { OtpStyles } from "./styles.js";
import { useCodeInput } from "./use-code-input.js";

export interface CodeInputProps {
  /** Digits in a code. Default: 6. */
  length?: number;
  /** Called when the last box is filled: submit here. */
  onComplete?: (code: string) => void;
  /** Called with the digits so far after each edit. Default: none. */
  onChange?: (code: string) => void;
  /** Default: false. */
  disabled?: boolean;
  /** Focus the first box on mount. Default: true. */
  autoFocus?: boolean;
  /** `"boxes"`: one box per digit; `"single"`: one input for the whole code. Default: `"boxes"`. */
  variant?: "boxes" | "single";
  /** Shown under the boxes by its code; marks them invalid. Default: none. */
  error?: OtpErrorInfo | undefined;
  /** Error messages by code. Default: `defaultMessages`. */
  messages?: OtpMessages;
  /** Interface text. Default: `defaultLabels`. */
  labels?: Partial<OtpLabels>;
  /** Added to the wrapper's `otpkit-field otpkit-code-input` classes. */
  className?: string;
}

/**
 * A one-time-code input: `autocomplete="one-time-code"` and `inputmode="numeric"` for SMS autofill
 * and the digit keyboard, paste of a whole code, auto-advance, backspace to the previous box and
 * auto-submit. To start empty again (after a wrong code), give it a new `key`.
 */
export function CodeInput({
  length = 6,
  onComplete,
  onChange,
  disabled = false,
  autoFocus = true,
  variant = "boxes",
  error,
  messages,
  labels: labelOverrides,
  className,
}: CodeInputProps) {
  const labels = { ...defaultLabels, ...labelOverrides };
  const id = useId();
  const code = useCodeInput({
    length,
    ...(onComplete ? { onComplete } : {}),
    ...(onChange ? { onChange } : {}),
  });
  const { focus } = code;

  useEffect(() => {
    if (autoFocus && !disabled) focus(0);
  }, [autoFocus, disabled, focus]);

  const shared = {
    className: "otpkit-digit",
    disabled,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": `${id}-error`,
  };

  return (
    <div className={["otpkit-field otpkit-code-input", className].filter(Boolean).join(" ")}>
      <OtpStyles />
      {variant === "single" ? (
        <>
          <label className="otpkit-label" htmlFor={`${id}-code`}>
            {labels.code(length)}
          </label>
          <input
            {...code.getSingleInputProps()}
            {...shared}
            id={`${id}-code`}
            name="code"
            className="otpkit-input"
            style={{ letterSpacing: "0.5em", fontVariantNumeric: "tabular-nums" }}
          />
        </>
      ) : (
        <fieldset className="otpkit-digits" style={{ "--otpkit-length": length } as CSSProperties}>
          <legend className="otpkit-label">{labels.code(length)}</legend>
          {code.digits.map((_, index) => (
            <input
              // biome-ignore lint/suspicious/noArrayIndexKey: boxes are positions; they never reorder.
              key={index}
              {...code.getInputProps(index)}
              {...shared}
              name={index === 0 ? "code" : undefined}
              aria-label={labels.digit(index + 1, length)}
            />
          ))}
        </fieldset>
      )}
      <ErrorText id={`${id}-error`} error={error} messages={messages} />
    </div>
  );
}
