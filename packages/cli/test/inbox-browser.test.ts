/**
 * The inbox page in real Chromium (Debian's, via playwright-core; never a browser download) at
 * desktop and phone widths: the live code and the older ones marked, no sideways scroll, search,
 * delete, the countdown turning a live code expired, and axe-core finding nothing serious.
 * Screenshots go to test/screenshots/ (git-ignored).
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { createOtp, type Otp, type OtpEvent, unosend } from "@otpkit/otp-core";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../src/sandbox.js";
import { request, wrongCode } from "./helpers.js";

const chromiumPath = "/usr/bin/chromium";
const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
];
const shots = fileURLToPath(new URL("./screenshots/", import.meta.url));
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const hasChromium = existsSync(chromiumPath);
if (!hasChromium && process.env.CI)
  throw new Error(`${chromiumPath} is missing: apt-get install -y chromium (.ci/run does this).`);

const phones = {
  resent: "+14155550123",
  used: "+14155550142",
  locked: "+447911123456",
  expired: "+14155550199",
};

describe.skipIf(!hasChromium)("the sandbox inbox in Chromium", () => {
  let sandbox: Sandbox;
  let browser: Browser;
  const codes: Record<string, string> = {};

  /** A real core texting the sandbox; `onEvent` posts to it as the example app does. */
  function app(clockOffsetMs = 0): { otp: Otp; settled: () => Promise<unknown> } {
    const posted: Promise<unknown>[] = [];
    const otp = createOtp({
      secret: "browser-test-secret-browser-test-secret",
      sender: unosend({ apiUrl: sandbox.apiUrl, apiKey: "k" }),
      appName: "otpkit demo",
      webOtpDomain: "127.0.0.1",
      templates: { login: "{app}: your login code is {code}. Valid for {minutes} minutes." },
      limits: { resendCooldownSeconds: 0 },
      clock: () => Date.now() + clockOffsetMs,
      onEvent: (event: OtpEvent) =>
        posted.push(request(`${sandbox.url}/api/sandbox/events`, { body: event }).catch(() => undefined)),
    });
    return { otp, settled: () => Promise.all(posted.splice(0)) };
  }

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    sandbox = await startSandbox({ port: 0 });
    const { otp, settled } = app();
    const ip = "127.0.0.1";
    await otp.send({ phone: phones.resent, purpose: "login", ip });
    codes.superseded = sandbox.lastCode(phones.resent)!;
    await otp.send({ phone: phones.resent, purpose: "login", ip });
    codes.live = sandbox.lastCode(phones.resent)!;
    const used = await otp.send({ phone: phones.used, purpose: "login", ip });
    codes.used = sandbox.lastCode(phones.used)!;
    await otp.verify({ id: used.id, code: codes.used });
    const locked = await otp.send({ phone: phones.locked, purpose: "login", ip });
    codes.locked = sandbox.lastCode(phones.locked)!;
    for (let attempt = 0; attempt < 3; attempt++)
      await otp.verify({ id: locked.id, code: wrongCode(codes.locked) }).catch(() => undefined);
    // A clock 10 minutes behind: this code's expires_at has already passed.
    await app(-10 * 60_000).otp.send({ phone: phones.expired, purpose: "login", ip });
    codes.expired = sandbox.lastCode(phones.expired)!;
    await settled();
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, timeout: 30_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await sandbox?.close();
  });

  async function open(width: number, colorScheme: "light" | "dark" = "light"): Promise<Page> {
    // bypassCSP: only so the test can inject axe-core; the page's own CSP is asserted elsewhere.
    const context = await browser.newContext({
      viewport: { width, height: 800 },
      colorScheme,
      bypassCSP: true,
    });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${sandbox.url}/`);
    await page.locator("#live.on").waitFor();
    return page;
  }

  const statusOfCode = (page: Page, code: string) =>
    page.locator(`.message:has(.code-chip[data-code="${code}"])`).getAttribute("data-status");
  const badgeOfCode = (page: Page, code: string) =>
    page.locator(`.message:has(.code-chip[data-code="${code}"]) .badge`).textContent();

  async function seriousViolations(page: Page) {
    await page.addScriptTag({ content: axeSource });
    const results = await page.evaluate(async () => {
      const axe = (globalThis as unknown as { axe: { run: (options: unknown) => Promise<unknown> } }).axe;
      return (await axe.run({ runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"] } })) as {
        violations: { id: string; impact: string; nodes: { target: string[] }[] }[];
        passes: { id: string }[];
      };
    });
    // axe really ran its checks on this page (contrast among them), not an empty pass.
    expect(results.passes.map((rule) => rule.id)).toEqual(
      expect.arrayContaining(["color-contrast", "label"]),
    );
    return results.violations
      .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
      .map(
        (violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`,
      );
  }

  for (const width of [1280, 390, 320])
    it(`at ${width} px: marks the live code and the older ones, no sideways scroll, no serious axe finding`, async () => {
      const page = await open(width);
      expect(await statusOfCode(page, codes.live!)).toBe("live");
      expect(await badgeOfCode(page, codes.live!)).toMatch(/live code/i);
      expect(await statusOfCode(page, codes.superseded!)).toBe("superseded");
      expect(await badgeOfCode(page, codes.superseded!)).toMatch(/superseded/i);
      expect(await statusOfCode(page, codes.used!)).toBe("used");
      expect(await statusOfCode(page, codes.locked!)).toBe("locked");
      expect(await statusOfCode(page, codes.expired!)).toBe("expired");
      expect(await page.locator(".message.live .expiry").first().textContent()).toMatch(
        /^expires in [1-5]:\d\d$/,
      );
      // The SMS carries the app name and the domain-bound WebOTP line.
      expect(await page.locator(".message.live .body").first().textContent()).toMatch(
        new RegExp(
          `^otpkit demo: your login code is ${codes.live}\\.[\\s\\S]*@127\\.0\\.0\\.1 #${codes.live}$`,
        ),
      );
      // The live message is laid out like the others: its text under its badge row, not beside it.
      for (const status of ["live", "superseded"]) {
        const meta = await page.locator(`.message.${status} .meta-row`).first().boundingBox();
        const content = await page.locator(`.message.${status} .content`).first().boundingBox();
        expect(content!.y, status).toBeGreaterThanOrEqual(meta!.y + meta!.height - 1);
      }
      const { scrollWidth, innerWidth } = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
      }));
      expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
      await page.screenshot({ path: `${shots}inbox-${width}.png`, fullPage: true });
      expect(await seriousViolations(page)).toEqual([]);
      await page.context().close();
    });

  it("dark scheme at 390 px: no sideways scroll, no serious axe finding (contrast included)", async () => {
    const page = await open(390, "dark");
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.screenshot({ path: `${shots}inbox-390-dark.png`, fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
    await page.context().close();
  });

  it("search filters by number; Delete removes one message; the countdown turns a live code expired", async () => {
    const page = await open(390);
    await page.getByLabel("Search by number").fill("7911 123");
    await page.locator(".phone").first().getByText(phones.locked).waitFor();
    await expect.poll(() => page.locator(".phone").count()).toBe(1);
    expect(page.url()).toContain("?q=7911%20123");
    await page.getByLabel("Search by number").fill("");
    await expect.poll(() => page.locator(".phone").count()).toBe(4);

    const before = await page.locator(".message").count();
    await page
      .locator(`.message:has(.code-chip[data-code="${codes.superseded}"])`)
      .getByRole("button", { name: "Delete this message" })
      .click();
    await expect.poll(() => page.locator(".message").count()).toBe(before - 1);
    expect(sandbox.messages.some((message) => message.code === codes.superseded)).toBe(false);

    // A code 2 s from its expiry (the app's clock 58 s behind a 1-minute code): live, then expired
    // by the page's own clock, without a reload.
    const short = createOtp({
      secret: "browser-test-secret-browser-test-secret",
      sender: unosend({ apiUrl: sandbox.apiUrl, apiKey: "k" }),
      expiryMinutes: { login: 1 },
      clock: () => Date.now() - 58_000,
    });
    await short.send({ phone: "+14155550177", purpose: "login", ip: "127.0.0.1" });
    const code = sandbox.lastCode("+14155550177")!;
    await expect.poll(() => statusOfCode(page, code)).toBe("live");
    await expect.poll(() => statusOfCode(page, code), { timeout: 6000 }).toBe("expired");
    expect(await badgeOfCode(page, code)).toBe("Expired");
    await page.context().close();
  });
});
