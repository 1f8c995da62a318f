/**
 * Default look, with every selector inside `:where()` so it has zero specificity: any rule an app
 * writes for the same class names wins without `!important`. Colors follow `currentColor` and
 * `Canvas` where possible so the components fit light and dark pages.
 */
export const otpkitCss = `
:where(.otpkit){display:grid;gap:1rem;max-width:24rem;font:inherit;color:inherit}
:where(.otpkit-field){display:grid;gap:.375rem}
:where(.otpkit-label){font-weight:600}
:where(.otpkit-hint){font-size:.875rem;opacity:.75;margin:0}
:where(.otpkit-input,.otpkit-digit){font:inherit;color:inherit;background:Canvas;border:1px solid #9aa1ad;border-radius:.5rem}
:where(.otpkit-input){padding:.625rem .75rem}
:where(.otpkit-digits){display:flex;gap:.5rem;margin:0;padding:0;border:0;min-width:0}
:where(.otpkit-digits legend){padding:0;margin-bottom:.375rem}
:where(.otpkit-digit){width:2.75rem;height:3.25rem;padding:0;text-align:center;font-size:1.5rem;font-variant-numeric:tabular-nums}
:where(.otpkit-input,.otpkit-digit):focus-visible{outline:2px solid #2563eb;outline-offset:1px;border-color:#2563eb}
:where(.otpkit-input,.otpkit-digit)[aria-invalid="true"]{border-color:#c0262d}
:where(.otpkit-input,.otpkit-digit):disabled{opacity:.6}
:where(.otpkit-button){font:inherit;font-weight:600;padding:.625rem 1rem;border:0;border-radius:.5rem;background:#2563eb;color:#fff;cursor:pointer}
:where(.otpkit-button):disabled{opacity:.6;cursor:default}
:where(.otpkit-link){font:inherit;padding:0;border:0;background:none;color:#2563eb;text-decoration:underline;cursor:pointer;justify-self:start}
:where(.otpkit-link):disabled{color:inherit;opacity:.7;text-decoration:none;cursor:default}
:where(.otpkit-error){color:#c0262d;margin:0}
:where(.otpkit-status){margin:0}
:where(.otpkit-actions){display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center}
:where(.otpkit-sr-only){position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
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
