/**
 * End to end: the real supabase-js (through app/auth.ts, the page's own code) → the GoTrue double
 * (a test fixture following GoTrue's documented dispatcher; no GoTrue runs here) → the example's
 * edge function on real Deno, in production mode on PostgreSQL → the otpkit sandbox → the code read
 * from the inbox → verifyOtp accepted by the double.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { type Sandbox, startSandbox } from "otpkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type GoTrueDouble, startGoTrueDouble } from "../../../packages/supabase/test/gotrue-double.js";
import {
  databaseUrl,
  mobileNumber,
  type Served,
  startDeno,
} from "../../../packages/supabase/test/runtime.js";
import { newHookSecret } from "../../../packages/supabase/test/sign.js";
import { sendCode, verifyCode } from "../app/auth.js";

const exampleDir = fileURLToPath(new URL("..", import.meta.url));
const schema = `otpkit_supabase_e2e_${randomBytes(5).toString("hex")}`;
const secrets = [newHookSecret()];
let sandbox: Sandbox;
let pool: pg.Pool;
let hook: Served;
let gotrue: GoTrueDouble;
let supabase: SupabaseClient;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  await pool.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(databaseUrl);
  url.searchParams.set("options", `-c search_path=${schema}`);
  // OTPKIT_ENV unset: production, as deployed. Every value production requires is given.
  hook = await startDeno("supabase/functions/send-sms/index.ts", {
    cwd: exampleDir,
    env: {
      HOST: "127.0.0.1",
      PORT: "0",
      SEND_SMS_HOOK_SECRETS: secrets.join("|"),
      OTP_SECRET: randomBytes(32).toString("base64"),
      OTP_COUNTRIES: "US,CA,GB",
      UNOSEND_API_URL: sandbox.apiUrl,
      UNOSEND_API_KEY: "sandbox",
      DATABASE_URL: url.toString(),
      SMS_RESEND_COOLDOWN_SECONDS: "0",
    },
  });
  // SMS_MAX_FREQUENCY 0 so that the hook's own per-number limit is what a fourth request meets.
  gotrue = await startGoTrueDouble({
    hookUri: `${hook.url}/functions/v1/send-sms`,
    hookSecrets: secrets,
    smsMaxFrequencySeconds: 0,
  });
  supabase = createClient(gotrue.url, gotrue.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    // supabase-js 2.109 on Node 20 needs a WebSocket implementation even when realtime is unused.
    realtime: { transport: WebSocket as never },
  });
}, 60_000);

afterAll(async () => {
  await gotrue?.close();
  await hook?.close();
  await sandbox?.close();
  await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool?.end();
});

describe("phone sign-in through the Send SMS Hook", () => {
  it("signInWithOtp → GoTrue → the hook on Deno → the SMS; the texted code signs in with verifyOtp", async () => {
    const phone = mobileNumber();
    expect(await sendCode(supabase, phone)).toEqual({ ok: true, value: undefined });
    const [invocation] = gotrue.invocations;
    expect(invocation?.outcome).toEqual({ ok: true });
    expect(invocation?.attempts).toHaveLength(1);
    const code = sandbox.lastCode(phone);
    expect(code).toMatch(/^\d{6}$/);
    // The hook delivered GoTrue's code, not one of its own.
    expect(JSON.parse(invocation!.body).sms.otp).toBe(code);

    const signedIn = await verifyCode(supabase, phone, code!);
    expect(signedIn).toMatchObject({ ok: true, value: { phone: phone.slice(1) } });
    const { data } = await supabase.auth.getSession();
    expect(data.session?.user.phone).toBe(phone.slice(1));
    // Used once: the same code again is refused by GoTrue.
    expect(await verifyCode(supabase, phone, code!)).toMatchObject({ ok: false, status: 403 });
  });

  it("a wrong code is refused by GoTrue", async () => {
    const phone = mobileNumber();
    expect((await sendCode(supabase, phone)).ok).toBe(true);
    const wrong = String((Number(sandbox.lastCode(phone)) + 1) % 1_000_000).padStart(6, "0");
    expect(await verifyCode(supabase, phone, wrong)).toEqual({
      ok: false,
      status: 403,
      message: "Token has expired or is invalid",
    });
  });

  it("past the per-number limit the person sees 429 and the hook's message, and no SMS goes out", async () => {
    const phone = mobileNumber();
    for (let i = 0; i < 3; i++) expect((await sendCode(supabase, phone)).ok).toBe(true);
    const refused = await sendCode(supabase, phone);
    expect(refused).toMatchObject({ ok: false, status: 429 });
    expect(refused.ok === false && refused.message).toMatch(/\S/);
    expect(sandbox.messages.filter((message) => message.to === phone)).toHaveLength(3);
    // The limits live in the project's database (no code at rest).
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${schema}.otpkit_codes_windows`);
    expect(rows[0].n).toBeGreaterThan(0);
  });
});
