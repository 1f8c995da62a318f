/**
 * The example page in Debian's Chromium (playwright-core, `/usr/bin/chromium`; never a browser
 * download) on the emulators: the Firebase JS SDK calls the callables by name, the code is read
 * from the SMS sandbox as a person reads the SMS, and the page ends signed in.
 */
import { existsSync, mkdirSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, closeAdmin, codeFor, phone, stack } from "./emulators";

const chromiumPath = "/usr/bin/chromium";
const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const shots = new URL("../test-results", import.meta.url).pathname;
const hasChromium = existsSync(chromiumPath);
if (!hasChromium && process.env.CI)
  throw new Error(`${chromiumPath} is missing: apt-get install -y chromium.`);
if (!hasChromium)
  console.warn(`Skipping the browser test: ${chromiumPath} is missing (apt-get install -y chromium).`);

describe.skipIf(!hasChromium || !stack.available)("the example page in Chromium", () => {
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, timeout: 30_000 });
  });
  afterAll(async () => {
    await browser?.close();
    await closeAdmin();
  });

  async function open(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 720, height: 900 } });
    const page = await context.newPage();
    // A cold function worker takes a few seconds to start on the emulator.
    page.setDefaultTimeout(30_000);
    await page.goto(stack.pageUrl);
    await page.getByRole("heading", { name: "Sign in with your phone" }).waitFor();
    return page;
  }

  const account = (page: Page) => page.getByRole("status", { name: "Account" });

  it("passwordless: send, read the code from the sandbox, verify, signed in as the number's user", async () => {
    const { auth } = admin();
    const page = await open();
    const to = phone(20);
    await expect(account(page).textContent()).resolves.toBe("Not signed in.");
    await page.getByLabel("Phone number").fill("+1 415 220 0123");
    await page.getByRole("button", { name: "Send sign-in code" }).click();
    await page.getByText("Code sent to +1 ***-***-0123.").waitFor();
    await page.getByLabel("Sign-in code").fill(await codeFor(to));
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Welcome! Your account was created.").waitFor();
    const user = await auth.getUserByPhoneNumber(to);
    await page.getByText(`Signed in as ${user.uid} with ${to}.`).waitFor();
    await page.screenshot({ path: `${shots}/passwordless-signed-in.png` });
  });

  it("phone verification for a signed-in guest: a wrong code says how many tries are left, the right one sets the number", async () => {
    const { auth } = admin();
    const page = await open();
    const to = phone(21);
    await page.getByRole("button", { name: "Continue as a guest" }).click();
    await account(page)
      .getByText(/\(guest\)\.$/)
      .waitFor();
    const uid = /Signed in as (\S+) /.exec((await account(page).textContent()) ?? "")![1]!;
    await page.getByLabel("Phone to verify").fill(to);
    await page.getByRole("button", { name: "Send verification code" }).click();
    await page.getByText("Code sent to +1 ***-***-0123.").waitFor();
    const code = await codeFor(to);
    await page.getByLabel("Verification code").fill(code === "000000" ? "111111" : "000000");
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByText("That code is not right: 2 attempts left.").waitFor();
    await page.getByLabel("Verification code").fill(code);
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByText(`Verified ${to}.`).waitFor();
    await page.getByText(`Signed in as ${uid} with ${to}.`).waitFor();
    expect((await auth.getUser(uid)).phoneNumber).toBe(to);
    await page.screenshot({ path: `${shots}/phone-verified.png` });
  });
});
