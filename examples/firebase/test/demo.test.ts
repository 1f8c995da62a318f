/**
 * `pnpm demo:firebase`'s launcher — the one every other test file used — prints what it started,
 * serves it, and Ctrl-C stops all of it. Ordered last (vitest.config.ts): it ends the shared stack.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { stack } from "./emulators";

const answers = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(3000) }).then(
    (response) => response.status,
    () => undefined,
  );

describe.skipIf(!stack.available)("the demo launcher", () => {
  const urls = () => ({
    page: stack.pageUrl,
    inbox: stack.sandboxUrl,
    auth: `${stack.authUrl}/`,
    firestore: `http://${stack.firestoreHost}/`,
    functions: `${stack.functionsUrl}/sendSignInCode`,
  });

  it("prints every URL with the start-up time, and each one answers", async () => {
    expect(stack.banner).toMatch(/Started in \d+\.\d s \(Firestore \d+\.\d s, Auth \+ Functions \d+\.\d s\)/);
    expect(stack.banner).toContain("Press Ctrl-C to stop all of them.");
    const page = await fetch(stack.pageUrl);
    expect(await page.text()).toContain("Sign in with your phone");
    const config = await (await fetch(`${stack.pageUrl}/config.json`)).json();
    expect(config).toMatchObject({ projectId: "demo-test", emulators: { auth: stack.authUrl } });
    expect(await answers(stack.sandboxUrl)).toBe(200);
    expect(await answers(`http://${stack.firestoreHost}/`)).toBe(200);
    // A GET is not a callable request: the function is there and refuses it.
    expect(await answers(urls().functions)).toBeGreaterThanOrEqual(400);
  });

  it("Ctrl-C stops the emulators, the SMS sandbox and the page, and exits 0", async () => {
    // What a terminal does on Ctrl-C: SIGINT to the whole foreground process group.
    process.kill(-stack.launcherPid, "SIGINT");
    const deadline = Date.now() + 40_000;
    while (!existsSync(stack.exitFile)) {
      if (Date.now() > deadline) throw new Error("The launcher did not exit within 40 s of Ctrl-C.");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const { code, signal, output } = JSON.parse(readFileSync(stack.exitFile, "utf8"));
    expect({ code, signal }, output.slice(-3000)).toEqual({ code: 0, signal: null });
    expect(output).toContain("Stopping the emulators, the SMS sandbox and the page");
    for (const [name, url] of Object.entries(urls())) expect(await answers(url), name).toBeUndefined();
    // Nothing of the launcher's process group is left either (the Firestore JVM was in it).
    expect(() => process.kill(-stack.launcherPid, 0)).toThrow();
  });
});
