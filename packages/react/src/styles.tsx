/**
 * Default look, with every selector inside `:where()` so it has zero specificity: any rule an app
 * writes for the same class names wins without `!important`. Colors follow `currentColor` and
 * `Canvas` where possible so the components fit light and dark pages.
 */
export const otpkitCss = `
:where(.otpkit){display:grid;gap:1rem;max-width:24rem;min-width:0;font:inherit;color:inherit}
:where(.otpkit-flow>.otpkit){max-width:none}
:where(.otpkit-field,.otpkit-code-form){display:grid;gap:.375rem;min-width:0}
:where(.otpkit-code-form){gap:1rem}
:where(.otpkit-label){font-weight:600}
:where(.otpkit-hint){font-size:.875rem;opacity:.8;margin:0}
:where(.otpkit-input,.otpkit-digit){font:inherit;color:inherit;background:Canvas;border:1px solid #8a919e;border-radius:.5rem}
:where(.otpkit-input){padding:.625rem .75rem;min-width:0}
:where(.otpkit-phone-row){position:relative;display:flex;gap:.375rem;min-width:0}
:where(.otpkit-phone-row .otpkit-input){padding-inline:.625rem}
:where(.otpkit-phone){flex:1 1 auto;width:100%}
:where(.otpkit-digits){display:grid;grid-template-columns:repeat(var(--otpkit-length,6),minmax(0,2.75rem));gap:clamp(.25rem,1.5vw,.5rem);margin:0;padding:0;border:0;min-width:0}
:where(.otpkit-digits legend){padding:0;margin-bottom:.375rem;grid-column:1/-1}
:where(.otpkit-digit){width:100%;min-width:0;height:3.25rem;padding:0;text-align:center;font-size:1.5rem;font-variant-numeric:tabular-nums}
:where(.otpkit-input,.otpkit-digit):focus-visible{outline:2px solid #2563eb;outline-offset:1px;border-color:#2563eb}
:where(.otpkit-input,.otpkit-digit)[aria-invalid="true"]{border-color:#c0262d}
:where(.otpkit-input,.otpkit-digit):disabled{opacity:.6}
:where(.otpkit-button){font:inherit;font-weight:600;padding:.625rem 1rem;border:0;border-radius:.5rem;background:#2563eb;color:#fff;cursor:pointer}
:where(.otpkit-button):disabled{opacity:.6;cursor:default}
:where(.otpkit-link){font:inherit;padding:0;border:0;background:none;color:#2563eb;text-decoration:underline;cursor:pointer;justify-self:start;text-align:start}
:where(.otpkit-link):disabled{color:inherit;opacity:.7;text-decoration:none;cursor:default}
:where(.otpkit-error){color:#c0262d;margin:0;font-variant-numeric:tabular-nums}
:where(.otpkit-status,.otpkit-notice){margin:0;overflow-wrap:anywhere}
:where(.otpkit-status strong){white-space:nowrap}
:where(.otpkit-notice){color:#15803d;font-weight:600}
:where(.otpkit-actions){display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center}
:where(.otpkit-sr-only){position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
`;

/** The country selector's own rules (injected by `CountrySelect` only, so a code input alone never carries them). */
export const otpkitCountryCss = `
:where(.otpkit-country-button){font:inherit;color:inherit;background:Canvas;border:1px solid #8a919e;border-radius:.5rem}
:where(.otpkit-country-button):focus-visible{outline:2px solid #2563eb;outline-offset:1px;border-color:#2563eb}
:where(.otpkit-country){display:flex}
:where(.otpkit-country-button){display:inline-flex;align-items:center;gap:.25rem;padding:0 .5rem;white-space:nowrap;cursor:pointer;font-variant-numeric:tabular-nums}
:where(.otpkit-country-button):disabled{cursor:default;opacity:1}
:where(.otpkit-flag){font-size:1.25em;line-height:1}
:where(.otpkit-caret){font-size:.75em;opacity:.8}
:where(.otpkit-country-popup){position:absolute;z-index:10;top:calc(100% + .25rem);left:0;right:0;display:grid;gap:.5rem;padding:.5rem;background:Canvas;border:1px solid #8a919e;border-radius:.5rem;box-shadow:0 8px 24px rgb(0 0 0/.18)}
:where(.otpkit-country-list){list-style:none;margin:0;padding:0;max-height:15rem;overflow-y:auto;overscroll-behavior:contain}
:where(.otpkit-country-option){display:flex;align-items:center;gap:.5rem;padding:.5rem;border-radius:.375rem;cursor:pointer}
:where(.otpkit-country-option.otpkit-active){background:rgb(37 99 235/.14)}
:where(.otpkit-country-option)[aria-selected="true"]{font-weight:600}
:where(.otpkit-country-name){flex:1 1 auto;min-width:0;overflow-wrap:anywhere}
:where(.otpkit-dial){font-variant-numeric:tabular-nums}
`;

/**
 * Injects `otpkitCss` once per document. React 19 hoists a `<style>` with `href` and `precedence`
 * into `<head>` and dedupes it, so every component can render this safely.
 */
export function OtpStyles() {
  return (
    <style href="otpkit" precedence="low">
      {otpkitCss}
    </style>
  );
}

/** Injects `otpkitCountryCss` once per document, like `OtpStyles`. */
export function OtpCountryStyles() {
  return (
    <style href="otpkit-country" precedence="low">
      {otpkitCountryCss}
    </style>
  );
}
