import { describe, expect, it } from "vitest";
import { type InboxView, palettes, renderInboxList, renderInboxPage, textPairs } from "./inbox-page.js";

/** WCAG 2.x relative luminance of an sRGB colour `#rrggbb`. */
function luminance(hex: string): number {
  const channels = [1, 3, 5].map((at) => Number.parseInt(hex.slice(at, at + 2), 16) / 255);
  const [red, green, blue] = channels.map((value) =>
    value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4,
  ) as [number, number, number];
  return 0.2126 * red + 0.7152 * green + 0.0722 * blue;
}

/** WCAG contrast ratio, 1–21. */
function contrast(foreground: string, background: string): number {
  const [light, dark] = [luminance(foreground), luminance(background)].sort((a, b) => b - a) as [
    number,
    number,
  ];
  return (light + 0.05) / (dark + 0.05);
}

describe("inbox colours pass WCAG AA", () => {
  it("computes contrast as WCAG defines it (known reference values)", () => {
    expect(contrast("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrast("#ffffff", "#ffffff")).toBeCloseTo(1, 5);
    // #767676 is the lightest grey that passes on white; #777777 just fails.
    expect(contrast("#767676", "#ffffff")).toBeGreaterThanOrEqual(4.5);
    expect(contrast("#777777", "#ffffff")).toBeLessThan(4.5);
  });

  for (const [scheme, palette] of Object.entries(palettes))
    it(`every text colour on its background, ${scheme} scheme: ≥ 4.5:1`, () => {
      const ratios = textPairs.map(([text, background]) => ({
        pair: `${text} on ${background}`,
        ratio: Math.round(contrast(palette[text], palette[background]) * 100) / 100,
      }));
      const failing = ratios.filter(({ ratio }) => ratio < 4.5);
      expect(failing, JSON.stringify(ratios)).toEqual([]);
    });

  it("the stylesheet uses exactly the palette's colours for the variables it sets", () => {
    const page = renderInboxPage(view([]), { url: "http://127.0.0.1:4025", nonce: "n" });
    for (const [name, value] of Object.entries(palettes.light))
      expect(page).toContain(
        `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}: ${value};`,
      );
    // Every colour pair the CSS names by variable is one the test checks.
    const used = [...page.matchAll(/color: var\(--([a-z-]+)\)[^}]*background: var\(--([a-z-]+)\)/g)].map(
      ([, text, background]) => `${text}|${background}`,
    );
    const camel = (name: string) => name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
    const checked = new Set(textPairs.map(([text, background]) => `${text}|${background}`));
    for (const pair of used) {
      const [text, background] = pair.split("|") as [string, string];
      expect(checked.has(`${camel(text)}|${camel(background)}`), pair).toBe(true);
    }
    expect(used.length).toBeGreaterThan(5);
  });
});

function view(entries: InboxView["groups"][number]["entries"], search = ""): InboxView {
  return {
    groups: entries.length ? [{ phone: "+14155550123", entries }] : [],
    total: entries.length,
    search,
  };
}

describe("the inbox renders plain data", () => {
  const entry = {
    id: "sms_1",
    body: "<b>Your</b> login code is 123456.",
    code: "123456",
    receivedAt: "2026-01-01T10:00:00.000Z",
    wrongAttempts: 0,
    details: ["login", "verification_id=ver_x"],
  };

  it("marks each status with a visible label and escapes the body", () => {
    const html = renderInboxList(
      view([
        { ...entry, status: "live", expiresAt: "2026-01-01T10:05:00.000Z" },
        { ...entry, id: "sms_2", status: "superseded" },
        { ...entry, id: "sms_3", status: "used" },
        { ...entry, id: "sms_4", status: "expired" },
        { ...entry, id: "sms_5", status: "locked", wrongAttempts: 3 },
      ]),
    );
    for (const label of ["Live code", "Superseded", "Used", "Expired", "Locked"])
      expect(html).toContain(`>${label}</span>`);
    expect(html).toContain('data-status="live" data-expires-at="2026-01-01T10:05:00.000Z"');
    expect(html).toContain("3 wrong attempts");
    expect(html).toContain("&lt;b&gt;Your&lt;/b&gt;");
    expect(html).not.toContain("<b>Your");
    expect(html.match(/data-delete="sms_\d"/g)).toHaveLength(5);
  });

  it("says so when the search matches nothing", () => {
    const html = renderInboxList({ groups: [], total: 4, search: "999<" });
    expect(html).toContain("No number matches “999&lt;”");
    expect(html).toContain("4 messages in the sandbox");
  });
});
