import { type ChangeEvent, type FormEvent, useEffect, useId, useMemo, useRef, useState } from "react";
import { defaultCountryFor, resolveCountries } from "./countries.js";
import { CountrySelect } from "./country-select.js";
import { ErrorText, useLiveError } from "./error-text.js";
import { defaultLabels, type OtpLabels } from "./labels.js";
import type { OtpErrorInfo, OtpMessages } from "./messages.js";
import {
  formatAsYouType,
  loadPhoneLibrary,
  type PhoneLibrary,
  regionToShow,
  toE164,
} from "./phone-format.js";
import { OtpStyles } from "./styles.js";

/** What the person entered, besides the E.164 number sent. */
export interface PhoneEntry {
  /** The field's text as typed (and formatted), to refill the field with. */
  typed: string;
  /** The selector's region code when it was submitted. */
  country: string;
}

export interface PhoneFormProps {
  /**
   * Called with the number in E.164 (`+14155550123`): a national number read in the selected
   * country, one typed with `+` as it is. The server validates it.
   */
  onSubmit: (phone: string, entry: PhoneEntry) => void;
  /** A send is in flight: the button is disabled. Default: false. */
  pending?: boolean;
  /** The last send's failure, shown by its code; its `retryAfter` counts down with Send disabled. Default: none. */
  error?: OtpErrorInfo | undefined;
  /** Error messages by code. Default: `defaultMessages`. */
  messages?: OtpMessages;
  /** Interface text. Default: `defaultLabels`. */
  labels?: Partial<OtpLabels>;
  /** The field's first text, e.g. what was typed before. Default: empty. */
  defaultValue?: string;
  /**
   * The countries offered (the app's allowed countries, e.g. `OTP_COUNTRIES`): region codes, as a
   * list or a comma-separated string. Default: every region.
   */
  countries?: readonly string[] | string;
  /** The preselected country (e.g. `OTP_DEFAULT_COUNTRY`). Default: the browser's region, else the first offered. */
  defaultCountry?: string | undefined;
  /** Language of the country names. Default: `"en"`. */
  locale?: string;
  /** Default: true. */
  autoFocus?: boolean;
  /** Added to the form's `otpkit otpkit-phone-form` classes. */
  className?: string;
}

/**
 * The phone step: a country selector and a labelled `tel` input with autofill, formatted as the
 * person types (libphonenumber-js's `AsYouType`, loaded lazily), a hint, errors and a Send button.
 */
export function PhoneForm({
  onSubmit,
  pending = false,
  error,
  messages,
  labels: labelOverrides,
  defaultValue = "",
  countries: allowed,
  defaultCountry,
  locale = "en",
  autoFocus = true,
  className,
}: PhoneFormProps) {
  const labels = { ...defaultLabels, ...labelOverrides };
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  // Compared by value: an app passing a new array with the same codes each render changes nothing.
  const countriesKey = typeof allowed === "string" ? allowed : (allowed?.join(",") ?? "");
  const countries = useMemo(() => resolveCountries(countriesKey), [countriesKey]);
  const [country, setCountry] = useState(() => defaultCountryFor(countries, defaultCountry));
  const [value, setValue] = useState(defaultValue);
  const [library, setLibrary] = useState<PhoneLibrary>();
  const [localError, setLocalError] = useState<OtpErrorInfo>();
  const shown = localError ?? error;
  const { live, waiting } = useLiveError(shown);

  useEffect(() => {
    // The browser's region is only known after hydration; the app's default wins when it gave one.
    if (!defaultCountry && typeof navigator !== "undefined")
      setCountry(defaultCountryFor(countries, undefined, navigator.languages ?? [navigator.language]));
  }, [countries, defaultCountry]);

  useEffect(() => {
    let current = true;
    loadPhoneLibrary()
      .then((loaded) => {
        if (current) setLibrary(() => loaded);
      })
      // Without it the field still works, unformatted; the number is normalized simply and the server validates it.
      .catch(() => {});
    return () => {
      current = false;
    };
  }, []);

  // After a refusal, put the person back in the field they need to fix.
  useEffect(() => {
    if (error) input.current?.focus();
  }, [error]);

  const onInput = (event: ChangeEvent<HTMLInputElement>) => {
    setLocalError(undefined);
    const text = event.target.value;
    const native = event.nativeEvent as InputEvent;
    const atEnd = event.target.selectionStart === text.length;
    // Reformat only while typing at the end: a deletion must delete (not be re-added as a bracket),
    // and an edit in the middle must keep its caret.
    if (!library || !atEnd || native.inputType?.startsWith("delete")) {
      setValue(text);
      return;
    }
    const formatted = formatAsYouType(library, text, country);
    setValue(formatted.text);
    setCountry(regionToShow(formatted, country, countries));
  };

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (pending || waiting > 0) return;
    const typed = value.trim();
    if (!/\d/.test(typed)) {
      setLocalError({ code: "invalid_phone", reason: "invalid" });
      input.current?.focus();
      return;
    }
    setLocalError(undefined);
    onSubmit(toE164(library, typed, country), { typed, country });
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
        <div className="otpkit-phone-row">
          <CountrySelect
            value={country}
            onChange={(next) => {
              setCountry(next);
              setLocalError(undefined);
              input.current?.focus();
            }}
            countries={countries}
            locale={locale}
            labels={labels}
          />
          <input
            ref={input}
            id={`${id}-phone`}
            className="otpkit-input otpkit-phone"
            name="phone"
            type="tel"
            inputMode="tel"
            autoComplete="tel"
            placeholder={labels.phonePlaceholder || undefined}
            value={value}
            required
            // biome-ignore lint/a11y/noAutofocus: the form is the page's only task; focusing it saves a tap.
            autoFocus={autoFocus}
            aria-invalid={live ? true : undefined}
            aria-describedby={`${id}-hint ${id}-error`}
            onChange={onInput}
          />
        </div>
        <p className="otpkit-hint" id={`${id}-hint`}>
          {labels.phoneHint}
        </p>
        <ErrorText id={`${id}-error`} error={shown} messages={messages} />
      </div>
      <button className="otpkit-button" type="submit" disabled={pending || waiting > 0}>
        {pending ? labels.sending : labels.sendCode}
      </button>
    </form>
  );
}
