/**
 * The whole sign-in in real Chromium (Debian's, via playwright-core; never a browser download)
 * against the production build (`next start`) and the real `otpkit sandbox`.
 */
import { existsSync, mkdirSync } from "node:fs";
import { type Sandbox, startSandbox } from "otpkit";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appDir, chromiumArgs, chromiumPath, type RunningApp, startApp, waitFor } from "./servers";

const shots = `${appDir}/test-results`;
const hasChromium = existsSync(chromiumPath);
if (!hasChromium && process.env.CI)
  throw new Error(`${chromiumPath} is missing: apt-get install -y chromium (.ci/run does this).`);
if (!hasChromium)
  console.warn(`Skipping the browser test: ${chromiumPath} is missing (apt-get install -y chromium).`);

describe.skipIf(!hasChromium)("phone sign-in in Chromium", () => {
  let sandbox: Sandbox;
  let app: RunningApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    sandbox = await startSandbox({ port: 0 });
    app = await startApp(sandbox.apiUrl);
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, timeout: 30_000 });
  });

  afterAll(async () => {
    await Promise.allSettled(contexts.map((context) => context.close()));
    await browser?.close();
    await app?.stop();
    await sandbox?.close();
  });

  async function open(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 800, height: 720 } });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${app.url}/signin`);
    return page;
  }

  /** Enters the number, waits for the code step, and returns the verification id the page holds. */
  async function requestCode(page: Page, phone: string): Promise<string> {
    await page.getByLabel("Phone number").fill(phone);
    const sent = page.waitForResponse((response) => response.url().endsWith("/api/otp/send"));
    await page.getByRole("button", { name: "Send code" }).click();
    await page.getByRole("group", { name: "Enter the 6-digit code" }).waitFor();
    return ((await (await sent).json()) as { id: string }).id;
  }

  /** The code the sandbox received for `e164`, read through its test endpoint. */
  const codeFor = (e164: string) =>
    waitFor(
      `an SMS to ${e164}`,
      async () => {
        const response = await fetch(`${sandbox.url}/api/sandbox/last-code?to=${encodeURIComponent(e164)}`, {
          signal: AbortSignal.timeout(2000),
        });
        return response.ok ? ((await response.json()) as { code: string }).code : undefined;
      },
      10_000,
    );

  const session = async (page: Page) =>
    (await page.context().request.get(`${app.url}/api/auth/session`)).json() as Promise<{
      user?: { phone?: string };
    }>;

  it("signs in with the texted code and shows the phone on the protected page", async () => {
    const page = await open();
    await expect(page.getByRole("heading", { name: "Sign in with your phone" }).isVisible()).resolves.toBe(
      true,
    );
    await page.screenshot({ path: `${shots}/sign-in.png` });

    await requestCode(page, "+1 415 555 0101");
    await expect(page.getByText("+1 ***-***-0101").isVisible()).resolves.toBe(true);
    // The resend countdown from resend_available_at is on screen and the button waits for it.
    const resend = page.getByRole("button", { name: /Resend code in [01]:\d\d/ });
    await expect(resend.isDisabled()).resolves.toBe(true);
    const before = await resend.textContent();
    await waitFor(
      "the countdown to tick",
      async () => ((await resend.textContent()) !== before ? true : undefined),
      3000,
    );
    await page.screenshot({ path: `${shots}/code.png` });

    const code = await codeFor("+14155550101");
    await page.keyboard.type(code, { delay: 30 }); // the first box has focus; each digit advances
    await page.waitForURL(`${app.url}/account`);
    await expect(page.getByTestId("signed-in-phone").textContent()).resolves.toBe("+14155550101");
    await page.screenshot({ path: `${shots}/signed-in.png` });

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${app.url}/signin`);
    await expect(session(page)).resolves.toEqual({});
  });

  it("takes a pasted code", async () => {
    const page = await open();
    await requestCode(page, "+14155550102");
    const code = await codeFor("+14155550102");
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: app.url });
    await page.evaluate((text) => navigator.clipboard.writeText(text), `Your login code is ${code}.`);
    await page.getByLabel("Digit 1 of 6").focus();
    await page.keyboard.press("Control+V");
    await page.waitForURL(`${app.url}/account`);
    await expect(page.getByTestId("signed-in-phone").textContent()).resolves.toBe("+14155550102");
  });

  it("locks the code after three wrong ones and signs nobody in", async () => {
    const page = await open();
    const id = await requestCode(page, "+14155550103");
    const code = await codeFor("+14155550103");
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
    const alert = page.locator(".otpkit-code-input [role=alert]");
    for (const expected of [/That code isn't right/, /That code isn't right/, /Too many wrong codes/]) {
      await page.getByLabel("Digit 1 of 6").waitFor({ state: "visible" });
      await page.waitForFunction(() => document.activeElement?.getAttribute("aria-label") === "Digit 1 of 6");
      await page.keyboard.type(wrong, { delay: 20 });
      await waitFor(
        `the message ${expected}`,
        async () => (expected.test((await alert.textContent()) ?? "") ? true : undefined),
        10_000,
      );
    }
    await expect(page.getByLabel("Digit 1 of 6").isDisabled()).resolves.toBe(true);
    await page.screenshot({ path: `${shots}/locked.png` });
    expect(page.url()).toBe(`${app.url}/signin`);
    await expect(session(page)).resolves.toEqual({});
    // Even the right code cannot open a locked verification.
    const csrf = (await (await page.context().request.get(`${app.url}/api/auth/csrf`)).json()) as {
      csrfToken: string;
    };
    const attempt = await page.context().request.post(`${app.url}/api/auth/callback/sms-otp`, {
      form: { phone: "+14155550103", code, id, csrfToken: csrf.csrfToken, json: "true" },
    });
    expect(((await attempt.json()) as { url: string }).url).toContain("error=too_many_attempts");
    await expect(session(page)).resolves.toEqual({});
  });
});
