import { type KeyboardEvent, useEffect, useId, useMemo, useRef, useState } from "react";
import { countryName, dialCodes, flagOf } from "./countries.js";
import { defaultLabels, type OtpLabels } from "./labels.js";
import { OtpCountryStyles } from "./styles.js";

export interface CountrySelectProps {
  /** The selected region code, e.g. `US`. */
  value: string;
  onChange: (country: string) => void;
  /** The region codes to offer (the app's allowed countries). */
  countries: readonly string[];
  /** For country names and their order. Default: `"en"`. */
  locale?: string;
  /** Interface text. Default: `defaultLabels`. */
  labels?: Partial<OtpLabels>;
  /** Default: false. */
  disabled?: boolean;
}

/** Lowercase, without accents: "Côte d’Ivoire" is found by "cote". */
const fold = (text: string) => text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();

/**
 * A searchable country picker: a button showing the flag and dial code, opening a list of the
 * offered countries (flag, name in the page's language, dial code) with a search field on top.
 * The WAI-ARIA combobox pattern: the search field keeps focus, arrows move the active option,
 * Enter picks it, Escape closes and returns to the button.
 */
export function CountrySelect({
  value,
  onChange,
  countries,
  locale = "en",
  labels: labelOverrides,
  disabled = false,
}: CountrySelectProps) {
  const labels = { ...defaultLabels, ...labelOverrides };
  const id = useId();
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const search = useRef<HTMLInputElement>(null);
  const list = useRef<HTMLDivElement>(null);

  const options = useMemo(() => {
    const collator = new Intl.Collator(locale);
    return countries
      .map((code) => {
        const name = countryName(code, locale);
        const dial = `+${dialCodes.get(code) ?? ""}`;
        return { code, name, dial, key: fold(`${name} ${code} ${dial}`) };
      })
      .sort((a, b) => collator.compare(a.name, b.name));
  }, [countries, locale]);

  const shown = useMemo(() => {
    const wanted = fold(query.trim());
    if (!wanted) return options;
    const digits = wanted.replace(/^\+/, "");
    return options.filter(
      (option) =>
        option.key.split(/[\s(),.-]+/).some((word) => word.startsWith(wanted)) ||
        option.code.toLowerCase() === wanted ||
        (/^\d+$/.test(digits) && option.dial.slice(1).startsWith(digits)),
    );
  }, [options, query]);

  // Opening: search from scratch, with the selected country active and in view.
  useEffect(() => {
    if (!open) return;
    search.current?.focus();
    const outside = (event: MouseEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", outside);
    return () => document.removeEventListener("mousedown", outside);
  }, [open]);

  useEffect(() => {
    if (open) list.current?.querySelector(`[data-index="${active}"]`)?.scrollIntoView?.({ block: "nearest" });
  }, [open, active]);

  const openList = () => {
    setQuery("");
    setActive(
      Math.max(
        0,
        options.findIndex((option) => option.code === value),
      ),
    );
    setOpen(true);
  };
  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };
  const pick = (code: string) => {
    onChange(code);
    close(true);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      setActive((index) => Math.min(Math.max(index + step, 0), Math.max(shown.length - 1, 0)));
    } else if (event.key === "Enter") {
      event.preventDefault(); // never submit the phone form from the search field
      const option = shown[active];
      if (option) pick(option.code);
    } else if (event.key === "Escape") {
      event.preventDefault();
      close(true);
    } else if (event.key === "Tab") {
      close(false);
    }
  };

  const selected = options.find((option) => option.code === value);
  const dial = `+${dialCodes.get(value) ?? ""}`;
  const single = countries.length <= 1;

  return (
    <div className="otpkit-country" ref={root}>
      <OtpCountryStyles />
      <button
        ref={button}
        type="button"
        className="otpkit-country-button"
        aria-haspopup="listbox"
        aria-expanded={open}
        aria-label={labels.country(selected?.name ?? value, dial)}
        disabled={disabled || single}
        onClick={() => (open ? close(true) : openList())}
        onKeyDown={(event) => {
          if (event.key === "ArrowDown" && !open) {
            event.preventDefault();
            openList();
          }
        }}
      >
        <span className="otpkit-flag" aria-hidden="true">
          {flagOf(value)}
        </span>
        <span aria-hidden="true">{dial}</span>
        {single ? null : (
          <span className="otpkit-caret" aria-hidden="true">
            ▾
          </span>
        )}
      </button>
      {open ? (
        <div className="otpkit-country-popup">
          <input
            ref={search}
            className="otpkit-input otpkit-country-search"
            type="text"
            role="combobox"
            aria-label={labels.countrySearch}
            placeholder={labels.countrySearch}
            aria-expanded="true"
            aria-controls={`${id}-list`}
            aria-autocomplete="list"
            aria-activedescendant={shown[active] ? `${id}-${shown[active].code}` : undefined}
            autoComplete="off"
            spellCheck={false}
            value={query}
            onChange={(event) => {
              setQuery(event.target.value);
              setActive(0);
            }}
            onKeyDown={onKeyDown}
          />
          <div
            ref={list}
            className="otpkit-country-list"
            id={`${id}-list`}
            role="listbox"
            aria-label={labels.countryList}
          >
            {shown.map((option, index) => (
              <div
                key={option.code}
                id={`${id}-${option.code}`}
                data-index={index}
                role="option"
                tabIndex={-1}
                aria-selected={option.code === value}
                className={index === active ? "otpkit-country-option otpkit-active" : "otpkit-country-option"}
                // mousedown, not click: the search field must not lose focus (and close the list) first.
                onMouseDown={(event) => {
                  event.preventDefault();
                  pick(option.code);
                }}
                onMouseMove={() => setActive(index)}
              >
                <span className="otpkit-flag" aria-hidden="true">
                  {flagOf(option.code)}
                </span>
                <span className="otpkit-country-name">{option.name}</span>
                <span className="otpkit-dial">{option.dial}</span>
              </div>
            ))}
          </div>
          {shown.length === 0 ? (
            <p className="otpkit-hint" role="status">
              {labels.noCountryMatch}
            </p>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
