/**
 * The whole sign-in in real Chromium (Debian's, via playwright-core; never a browser download)
 * against the production build (`next start`) and the real `otpkit sandbox`.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { type Sandbox, startSandbox } from "otpkit";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appDir, chromiumArgs, chromiumPath, type RunningApp, startApp, waitFor } from "./servers";

// Screenshots of every step at every width, for a person to look at (gitignored).
const shots = `${appDir}/test/screenshots`;
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
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
    app = await startApp(sandbox.apiUrl, {
      OTPKIT_INBOX_URL: sandbox.url,
      OTP_DEFAULT_COUNTRY: "US",
      // Short enough to reach the end of a cooldown in a test, long enough to catch one running.
      SMS_RESEND_COOLDOWN_SECONDS: "10",
      // Every send here comes from one IP-less client: give the shared budget room for the run.
      SMS_RATE_LIMIT_NO_IP: "500",
    });
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, timeout: 30_000 });
  });

  afterAll(async () => {
    await Promise.allSettled(contexts.map((context) => context.close()));
    await browser?.close();
    await app?.stop();
    await sandbox?.close();
  });

  async function open(width = 800, locale = "en-US"): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height: 760 }, locale });
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

  // ——— The sign-in as a new user meets it, at a desktop, a phone and the narrowest phone width ———

  const widths = [1280, 390, 320] as const;
  const phoneField = (page: Page) => page.getByLabel("Phone number");
  const sendButton = (page: Page) => page.getByRole("button", { name: "Send code" });
  const visibleError = (page: Page) => page.locator(".otpkit-countdown, .otpkit-error").first();

  /** The page never scrolls sideways: nothing is wider than the viewport. */
  async function expectNoSideScroll(page: Page, where: string) {
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
    }));
    expect(
      scrollWidth,
      `${where}: scrollWidth ${scrollWidth} > innerWidth ${innerWidth}`,
    ).toBeLessThanOrEqual(innerWidth);
  }

  /** The number typed is shown whole: the field is not scrolled inside. */
  async function expectFieldFits(page: Page, where: string) {
    const { scrollWidth, clientWidth } = await phoneField(page).evaluate((input) => ({
      scrollWidth: input.scrollWidth,
      clientWidth: input.clientWidth,
    }));
    expect(scrollWidth, `${where}: the number is cut (${scrollWidth} > ${clientWidth})`).toBeLessThanOrEqual(
      clientWidth,
    );
  }

  /** axe-core in the page: no violation at serious or critical level. */
  async function expectAccessible(page: Page, where: string) {
    if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ content: axeSource });
    const violations = await page.evaluate(async () => {
      const axe = (
        window as unknown as {
          axe: {
            run: (context: Document) => Promise<{
              violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }>;
            }>;
          };
        }
      ).axe;
      const result = await axe.run(document);
      return result.violations
        .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
        .map(
          (violation) =>
            `${violation.id} (${violation.impact}): ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`,
        );
    });
    expect(violations, where).toEqual([]);
  }

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });

  /** Waits until `read` gives a number below `first`: a countdown that really counts. */
  async function expectCountingDown(read: () => Promise<string>, what: string) {
    const number = (text: string) => {
      const match = text.match(/(\d+):(\d\d)|(\d+) second/);
      if (!match) return undefined;
      return match[3] !== undefined ? Number(match[3]) : Number(match[1]) * 60 + Number(match[2]);
    };
    const first = number(await read());
    expect(first, `${what}: a number in "${await read()}"`).toBeGreaterThan(0);
    await waitFor(
      `${what} to count down from ${first}`,
      async () => {
        const now = number(await read());
        return now !== undefined && now < first! ? true : undefined;
      },
      4000,
    );
  }

  const sentBody = (page: Page) =>
    page
      .waitForRequest((request) => request.url().endsWith("/api/otp/send") && request.method() === "POST")
      .then((request) => request.postDataJSON() as { phone: string; locale?: string });

  const messagesTo = async (e164: string) =>
    (
      (await (await fetch(`${sandbox.url}/api/sandbox/messages?to=${encodeURIComponent(e164)}`)).json()) as {
        messages: Array<{ body: string }>;
      }
    ).messages;

  for (const [index, width] of widths.entries()) {
    it(`at ${width} px: a national number with the country selector, formatted as typed, fits and passes axe`, async () => {
      const page = await open(width);
      const selector = page.getByRole("button", { name: "Country: United States, +1" });
      await selector.waitFor();
      await expectNoSideScroll(page, `phone step at ${width}`);
      await expectAccessible(page, `phone step at ${width}`);
      // The development link to the SMS inbox (OTPKIT_INBOX_URL).
      await expect(page.getByRole("link", { name: "SMS inbox" }).getAttribute("href")).resolves.toBe(
        `${sandbox.url}/`,
      );

      // The selector: searchable, names and dial codes, only the allowed countries.
      await selector.click();
      const search = page.getByRole("combobox", { name: "Search countries" });
      await expect(page.getByRole("option").allTextContents()).resolves.toEqual([
        "🇨🇦Canada+1",
        "🇬🇧United Kingdom+44",
        "🇺🇸United States+1",
      ]);
      await expectNoSideScroll(page, `country list at ${width}`);
      await expectAccessible(page, `country list at ${width}`);
      await shot(page, `${width}-country-list`);
      await search.fill("+44");
      await expect(page.getByRole("option").allTextContents()).resolves.toEqual(["🇬🇧United Kingdom+44"]);
      await search.press("Escape");
      await expect(page.getByRole("listbox").count()).resolves.toBe(0);

      const national = `41555501${20 + index}`;
      await phoneField(page).click();
      await page.keyboard.type(national, { delay: 15 });
      await expect(phoneField(page).inputValue()).resolves.toBe(`(415) 555-01${20 + index}`);
      await expectFieldFits(page, `national number at ${width}`);
      await shot(page, `${width}-phone-national`);
      const body = sentBody(page);
      await sendButton(page).click();
      await page.getByRole("group", { name: "Enter the 6-digit code" }).waitFor();
      expect(await body).toEqual({ phone: `+141555501${20 + index}`, locale: "en" });
      await expectNoSideScroll(page, `code step at ${width}`);
      // The six boxes fit inside the card (they shrink on narrow screens).
      const card = await page.locator(".card").boundingBox();
      const last = await page.getByLabel("Digit 6 of 6").boundingBox();
      expect(last!.x + last!.width).toBeLessThanOrEqual(card!.x + card!.width);
      expect(last!.width).toBeGreaterThanOrEqual(28);
      await expectAccessible(page, `code step at ${width}`);
      await shot(page, `${width}-code`);
    });

    it(`at ${width} px: each cause has its own text — invalid, not a mobile, country, provider limiting, down, quota`, async () => {
      const page = await open(width);
      const attempt = async (typed: string) => {
        await phoneField(page).fill(typed);
        await sendButton(page).click();
      };
      const expectText = async (expected: RegExp, name: string) => {
        await waitFor(
          `"${expected}"`,
          async () => (expected.test((await visibleError(page).textContent()) ?? "") ? true : undefined),
          10_000,
        );
        await expectNoSideScroll(page, `${name} at ${width}`);
        await shot(page, `${width}-error-${name}`);
      };
      await sendButton(page).waitFor();
      await attempt("(415) 555-01");
      await expectText(
        /^That doesn't look like a valid phone number\. Check the number and the country\.$/,
        "invalid",
      );
      await attempt("+44 20 7946 0018"); // a London landline
      await expectText(/^This number can't receive text messages\. Enter a mobile number\.$/, "landline");
      await attempt("+33 6 12 34 56 78"); // France is not in OTP_COUNTRIES
      await expectText(/^We can't send codes to numbers in this country\.$/, "country");

      sandbox.setFaults({ status: 429, retryAfter: 4, count: 1 });
      await attempt(`+1 212 555 01${30 + index}`);
      await expectText(
        /^Our text message service is busy right now — not something you did\. Try again in \d seconds\.$/,
        "provider-429",
      );
      await expect(sendButton(page).isDisabled()).resolves.toBe(true);
      await expectCountingDown(
        async () => (await visibleError(page).textContent()) ?? "",
        "the provider's wait",
      );
      await waitFor(
        "Send to unlock",
        async () => ((await sendButton(page).isEnabled()) ? true : undefined),
        6000,
      );
      await expect(page.locator(".otpkit-countdown").count()).resolves.toBe(0);

      sandbox.setFaults({ status: 500, count: 1 });
      await attempt(`+1 212 555 01${40 + index}`);
      await expectText(
        /^Our text message service isn't responding, so no code was sent\. Try again in a moment\.$/,
        "provider-500",
      );
      sandbox.setFaults({ status: 402, count: 1 });
      await attempt(`+1 212 555 01${50 + index}`);
      await expectText(
        /^Text messages can't be sent right now: the message quota is used up\. Try again later\.$/,
        "quota-402",
      );
      await expectAccessible(page, `an error at ${width}`);
      sandbox.setFaults(undefined);
    });
  }

  it("counts the app's cooldown down with Send disabled, when the number was just texted", async () => {
    const first = await open(390);
    await requestCode(first, "+1 646 555 0170");
    const page = await open(390);
    await phoneField(page).fill("+1 646 555 0170");
    await sendButton(page).click();
    const text = async () => (await page.locator(".otpkit-countdown").textContent()) ?? "";
    await waitFor(
      "the cooldown text",
      async () =>
        /^A code was just sent\. You can request another in \d+ seconds\.$/.test(await text())
          ? true
          : undefined,
      10_000,
    );
    await expect(sendButton(page).isDisabled()).resolves.toBe(true);
    await shot(page, "390-error-cooldown");
    await expectCountingDown(text, "the cooldown");
  });

  it("shows attempts left, asks for all six digits, and words the lockout by the resend countdown", async () => {
    const page = await open(320);
    await requestCode(page, "+1 646 555 0171");
    const code = await codeFor("+16465550171");
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
    const alert = page
      .locator(".otpkit-code-input .otpkit-countdown, .otpkit-code-input .otpkit-error")
      .first();
    const typeCode = async (digits: string) => {
      await page.waitForFunction(() => document.activeElement?.getAttribute("aria-label") === "Digit 1 of 6");
      await page.keyboard.type(digits, { delay: 15 });
    };
    await typeCode(wrong.slice(0, 5));
    await page.keyboard.press("Enter");
    await waitFor(
      "the incomplete-code text",
      async () => ((await alert.textContent()) === "Enter all 6 digits." ? true : undefined),
      5000,
    );
    await shot(page, "320-incomplete");
    // Backspace in the empty sixth box empties the box before it and moves there: five times, all clear.
    await page.getByLabel("Digit 6 of 6").focus();
    for (let box = 5; box >= 1; box--) await page.keyboard.press("Backspace");
    for (const expected of [
      "That code isn't right. 2 attempts left.",
      "That code isn't right. 1 attempt left.",
    ]) {
      await typeCode(wrong);
      await waitFor(
        `"${expected}"`,
        async () => ((await alert.textContent()) === expected ? true : undefined),
        10_000,
      );
    }
    await shot(page, "320-attempts-left");
    await typeCode(wrong);
    const resend = page.getByRole("button", { name: /^Resend code/ });
    await waitFor(
      "the lockout text",
      async () =>
        /^Too many wrong codes: this code is locked\./.test((await alert.textContent()) ?? "")
          ? true
          : undefined,
      10_000,
    );
    // While Resend still counts down, the text says when a new code can be asked for — the same wait.
    if (await resend.isDisabled()) {
      const text = (await alert.textContent()) ?? "";
      expect(text).toMatch(
        /^Too many wrong codes: this code is locked\. You can request a new one in \d+ seconds\.$/,
      );
      const button = (await resend.textContent()) ?? "";
      const fromText = Number(text.match(/in (\d+) seconds/)![1]);
      const fromButton = Number(button.match(/0:(\d\d)/)![1]);
      expect(Math.abs(fromText - fromButton)).toBeLessThanOrEqual(1);
      await shot(page, "320-locked-counting");
    }
    await waitFor("Resend to unlock", async () => ((await resend.isEnabled()) ? true : undefined), 12_000);
    // Both count to the same instant on the same second boundaries: they change together (ms apart at most).
    await waitFor(
      "the lockout text to match the unlocked Resend",
      async () =>
        (await alert.textContent()) === "Too many wrong codes: this code is locked. Request a new one."
          ? true
          : undefined,
      500,
    );
    await expectNoSideScroll(page, "lockout at 320");
  });

  it("goes back to the code step for the same number without a new text, the field as typed", async () => {
    const page = await open(390);
    await phoneField(page).click();
    await page.keyboard.type("6465550172", { delay: 15 });
    let sends = 0;
    page.on("request", (request) => {
      if (request.url().endsWith("/api/otp/send")) sends++;
    });
    await sendButton(page).click();
    await page.getByRole("group", { name: "Enter the 6-digit code" }).waitFor();
    await page.getByRole("button", { name: "Use a different number" }).click();
    await expect(phoneField(page).inputValue()).resolves.toBe("(646) 555-0172");
    await shot(page, "390-back-to-phone");
    await sendButton(page).click();
    await page.getByRole("group", { name: "Enter the 6-digit code" }).waitFor();
    expect(sends).toBe(1);
    await expect(messagesTo("+16465550172")).resolves.toHaveLength(1);
    // And the code that was sent still signs in.
    await page.keyboard.type(await codeFor("+16465550172"), { delay: 20 });
    await page.waitForURL(`${app.url}/account`);
  });

  it("confirms a resend, and the new code signs in", async () => {
    const page = await open(320);
    await requestCode(page, "+1 646 555 0173");
    const resend = page.getByRole("button", { name: "Resend code", exact: true });
    await waitFor(
      "Resend to unlock",
      async () => ((await resend.isEnabled().catch(() => false)) ? true : undefined),
      12_000,
    );
    await resend.click();
    await page.getByText("Code sent again.").waitFor();
    await shot(page, "320-resent");
    await waitFor(
      "the second text",
      async () => ((await messagesTo("+16465550173")).length === 2 ? true : undefined),
      5000,
    );
    await page.getByLabel("Digit 1 of 6").focus();
    await page.keyboard.type(await codeFor("+16465550173"), { delay: 20 });
    await page.waitForURL(`${app.url}/account`);
  });

  it("tells the app's own hourly limit apart from the cooldown, and disables Resend while it counts", async () => {
    const page = await open(390);
    await requestCode(page, "+1 646 555 0175");
    const resend = page.getByRole("button", { name: "Resend code", exact: true });
    // SMS_RATE_LIMIT_HOUR is 3 per number and requester: two resends are texted, the third is refused.
    for (let sends = 1; sends <= 3; sends++) {
      await waitFor(
        "Resend to unlock",
        async () => ((await resend.isEnabled().catch(() => false)) ? true : undefined),
        12_000,
      );
      await resend.click();
      if (sends < 3) await page.getByText("Code sent again.").waitFor();
    }
    const text = async () => (await page.locator(".otpkit-countdown").textContent()) ?? "";
    await waitFor(
      "the app's limit text",
      async () =>
        /^Too many codes requested\. Try again in \d+:\d\d\.$/.test(await text()) ? true : undefined,
      10_000,
    );
    await expect(page.getByText(/A code was just sent/).count()).resolves.toBe(0);
    await expect(page.getByRole("button", { name: /^Resend code/ }).isDisabled()).resolves.toBe(true);
    await expect((await messagesTo("+16465550175")).length).toBe(3);
    await expectNoSideScroll(page, "the app's limit at 390");
    await shot(page, "390-error-app-limit");
    await expectCountingDown(text, "the app's limit");
  });

  it("speaks the browser's language (French at 320 px), and so does the SMS", async () => {
    const page = await open(320, "fr-FR");
    const field = page.getByLabel("Numéro de téléphone");
    await field.waitFor();
    await expect(page.getByRole("button", { name: "Pays : États-Unis, +1" }).count()).resolves.toBe(1);
    await expectNoSideScroll(page, "French phone step at 320");
    await field.fill("(415) 555-01");
    await page.getByRole("button", { name: "Recevoir un code" }).click();
    await waitFor(
      "the French invalid-number text",
      async () =>
        /^Ce numéro de téléphone ne semble pas valide/.test((await visibleError(page).textContent()) ?? "")
          ? true
          : undefined,
      10_000,
    );
    await shot(page, "320-fr-invalid");
    await field.fill("");
    await field.click();
    await page.keyboard.type("6465550174", { delay: 15 });
    const body = sentBody(page);
    await page.getByRole("button", { name: "Recevoir un code" }).click();
    await page.getByRole("group", { name: "Saisissez le code à 6 chiffres" }).waitFor();
    expect(await body).toEqual({ phone: "+16465550174", locale: "fr" });
    await expect(page.getByRole("button", { name: "Vérifier" }).count()).resolves.toBe(1);
    await expectNoSideScroll(page, "French code step at 320");
    await expectAccessible(page, "French code step at 320");
    await shot(page, "320-fr-code");
    const [sms] = await messagesTo("+16465550174");
    expect(sms!.body).toMatch(/^otpkit example: Votre code de connexion est \d{6}\./);
  });
});
