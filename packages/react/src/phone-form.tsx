import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { defaultLabels, type OtpLabels } from "./labels.js";
import { errorMessage, type OtpErrorInfo, type OtpMessages } from "./messages.js";
import { OtpStyles } from "./styles.js";

export interface PhoneFormProps {
  /** Called with the trimmed number; the server normalizes and validates it. */
  onSubmit: (phone: string) => void;
  /** A send is in flight: the button is disabled. Default: false. */
  pending?: boolean;
  /** The last send's failure, shown by its code. Default: none. */
  error?: OtpErrorInfo | undefined;
  /** Error messages by code. Default: `defaultMessages`. */
  messages?: OtpMessages;
  /** Interface text. Default: `defaultLabels`. */
  labels?: Partial<OtpLabels>;
  /** Default: empty. */
  defaultValue?: string;
  /** Default: true. */
  autoFocus?: boolean;
  /** Added to the form's `otpkit otpkit-phone-form` classes. */
  className?: string;
}

/** The phone step: one labelled `tel` input with autofill, a hint, errors and a submit button. */
export function PhoneForm({
  onSubmit,
  pending = false,
  error,
  messages,
  labels: labelOverrides,
  defaultValue = "",
  autoFocus = true,
  className,
}: PhoneFormProps) {
  const labels = { ...defaultLabels, ...labelOverrides };
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [localError, setLocalError] = useState<OtpErrorInfo>();
  const shown = localError ?? error;

  // After a refusal, put the person back in the field they need to fix.
  useEffect(() => {
    if (error) input.current?.focus();
  }, [error]);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (pending) return;
    const phone = input.current?.value.trim() ?? "";
    setLocalError(phone ? undefined : { code: "invalid_phone" });
    if (phone) onSubmit(phone);
    else input.current?.focus();
  };

  return (
    <form
      className={["otpkit otpkit-phone-form", className].filter(Boolean).join(" ")}
      onSubmit={submit}
      noValidate
      aria-busy={pending}
    >
      <OtpStyles />
      <div className="otpkit-field">
        <label className="otpkit-label" htmlFor={`${id}-phone`}>
          {labels.phone}
        </label>
        <input
          ref={input}
          id={`${id}-phone`}
          className="otpkit-input"
          name="phone"
          type="tel"
          inputMode="tel"
          autoComplete="tel"
          placeholder={labels.phonePlaceholder}
          defaultValue={defaultValue}
          required
          // biome-ignore lint/a11y/noAutofocus: the form is the page's only task; focusing it saves a tap.
          autoFocus={autoFocus}
          aria-invalid={shown ? true : undefined}
          aria-describedby={`${id}-hint ${id}-error`}
          onInput={() => setLocalError(undefined)}
        />
        <p className="otpkit-hint" id={`${id}-hint`}>
          {labels.phoneHint}
        </p>
        <p className="otpkit-error" id={`${id}-error`} role="alert">
          {shown ? errorMessage(shown, messages) : null}
        </p>
      </div>
      <button className="otpkit-button" type="submit" disabled={pending}>
        {pending ? labels.sending : labels.sendCode}
      </button>
    </form>
  );
}
