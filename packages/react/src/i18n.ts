import { useEffect, useState } from "react";
import { defaultLabels, type OtpLabels } from "./labels.js";
import { defaultMessages, type OtpMessages } from "./messages.js";

/** One language's interface text and error messages. */
export interface OtpLocale {
  /** BCP 47 tag, e.g. `pt-BR`: also the components' `lang` and what `sendLocale` sends. */
  locale: string;
  labels: OtpLabels;
  messages: OtpMessages;
}

/** The locales `@otpkit/react` ships. English is bundled; every other one is loaded on demand. */
export const supportedLocales = ["en", "es", "fr", "de", "pt-BR", "it", "nl", "ja"] as const;
export type SupportedLocale = (typeof supportedLocales)[number];

export const englishLocale: OtpLocale = { locale: "en", labels: defaultLabels, messages: defaultMessages };

/**
 * The first of `preferred` (an app's choice, or `navigator.languages`) that a shipped locale
 * serves: an exact tag first (`pt-BR`), else its language (`fr-CA` → `fr`, `pt-PT` → `pt-BR`,
 * the only Portuguese). English when none matches.
 */
export function pickLocale(preferred: readonly string[]): SupportedLocale {
  for (const tag of preferred) {
    const exact = supportedLocales.find((locale) => locale.toLowerCase() === tag.toLowerCase());
    if (exact) return exact;
    const language = tag.split(/[-_]/)[0]!.toLowerCase();
    const close = supportedLocales.find((locale) => locale.split("-")[0] === language);
    if (close) return close;
  }
  return "en";
}

/** Loads one locale's chunk (one dynamic import each, so an app downloads only the one it shows). */
export function loadLocale(locale: SupportedLocale): Promise<OtpLocale> {
  switch (locale) {
    case "es":
      return import("./locales/es.js").then((module) => module.default);
    case "fr":
      return import("./locales/fr.js").then((module) => module.default);
    case "de":
      return import("./locales/de.js").then((module) => module.default);
    case "pt-BR":
      return import("./locales/pt-BR.js").then((module) => module.default);
    case "it":
      return import("./locales/it.js").then((module) => module.default);
    case "nl":
      return import("./locales/nl.js").then((module) => module.default);
    case "ja":
      return import("./locales/ja.js").then((module) => module.default);
    default:
      return Promise.resolve(englishLocale);
  }
}

const browserLanguages = (): readonly string[] => {
  if (typeof navigator === "undefined") return [];
  return navigator.languages?.length ? navigator.languages : navigator.language ? [navigator.language] : [];
};

/**
 * The locale to render: `locale` when given (a tag, or an `OtpLocale` the app imported itself),
 * else the browser's languages. English renders first (on the server, and while a chunk loads) —
 * the browser's languages are only known after hydration.
 */
export function useOtpLocale(locale?: string | OtpLocale): OtpLocale {
  const given = typeof locale === "object" ? locale : undefined;
  const tag = typeof locale === "string" ? locale : undefined;
  const [active, setActive] = useState<OtpLocale>(given ?? englishLocale);
  useEffect(() => {
    if (given) {
      setActive(given);
      return;
    }
    const wanted = pickLocale(tag !== undefined ? [tag] : browserLanguages());
    let current = true;
    loadLocale(wanted)
      .then((loaded) => {
        if (current) setActive(loaded);
      })
      // A chunk that fails to load (offline, a deploy in between) leaves the English text: still usable.
      .catch(() => {});
    return () => {
      current = false;
    };
  }, [given, tag]);
  return active;
}
