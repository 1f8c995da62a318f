import type { OtpRecord, RateHit } from "@otpkit/otp-core/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, postgresStore } from "../src/index.js";
import { numberArray, parseTextArray, textArray } from "../src/wire.js";
import { dropSchema, pool, runSchema } from "./helpers.js";

/** Strings that need every rule of PostgreSQL's array text form: quotes, escapes, NULL-likes. */
const awkward = [
  "",
  " ",
  "NULL",
  "null",
  '"',
  "\\",
  '\\"',
  "a,b",
  "{x}",
  "}{",
  "tab\there",
  "line\nbreak",
  'mixed "q" \\ , {} end\\',
  "ünïcødé",
  "astral 😀 pair",
  "plain_base64url-Text.123",
];

describe("wire: text forms built and read by hand", () => {
  it("parses array_out's forms: unquoted, quoted with escapes, NULL, empty", () => {
    expect(parseTextArray("{}")).toEqual([]);
    expect(parseTextArray("{a}")).toEqual(["a"]);
    expect(parseTextArray("{true,NULL,3,x.y_z-1}")).toEqual(["true", null, "3", "x.y_z-1"]);
    expect(parseTextArray('{"",NULL,"NULL"}')).toEqual(["", null, "NULL"]);
    expect(parseTextArray('{"a\\"b","c\\\\d",e}')).toEqual(['a"b', "c\\d", "e"]);
    expect(parseTextArray('{x,"a,b",NULL,"{}"}')).toEqual(["x", "a,b", null, "{}"]);
    expect(parseTextArray('{"\\\\"}')).toEqual(["\\"]);
  });

  it("builds literals: every text quoted and escaped, null as NULL, numbers as String(n)", () => {
    expect(textArray(["a", null, 'q"', "b\\s"])).toBe('{"a",NULL,"q\\"","b\\\\s"}');
    expect(numberArray([1, 86_400_000, 0.25])).toBe("{1,86400000,0.25}");
  });

  describe("through real PostgreSQL", () => {
    const client = pool(4);
    let schema = "";
    let table = "";
    beforeAll(async () => {
      schema = await runSchema(client, "wire");
      table = `${schema}.otpkit_codes`;
      await migrate(client, { table });
    });
    afterAll(async () => {
      await dropSchema(client, schema);
      await client.end();
    });

    it("a text[] literal reaches the server as the same strings, and array_out's text parses back", async () => {
      const values = [...awkward, null, ...awkward.map((value) => `${value}${value}`)];
      const { rows } = await client.query("SELECT $1::text[] AS a, $1::text[]::text AS t", [
        textArray(values),
      ]);
      expect(rows[0].a).toEqual(values);
      expect(parseTextArray(rows[0].t)).toEqual(values);
      for (const value of awkward) {
        const { rows: one } = await client.query("SELECT ARRAY[$1::text, NULL, '7']::text AS t", [value]);
        expect(parseTextArray(one[0].t)).toEqual([value, null, "7"]);
      }
    });

    it("numbers reach the server as the same values", async () => {
      const { rows } = await client.query("SELECT $1::bigint[]::text AS b, $2::float8[]::text AS f", [
        numberArray([0, 1, 1_796_188_691_884]),
        numberArray([0.5, 0, 1e-7]),
      ]);
      expect(rows[0].b).toBe("{0,1,1796188691884}");
      expect(parseTextArray(rows[0].f).map(Number)).toEqual([0.5, 0, 1e-7]);
    });

    it("records, keys and refusals with awkward strings come back exactly from put, check and hit", async () => {
      const store = postgresStore({ client, table });
      const now = Date.now();
      for (const [n, text] of awkward.entries()) {
        const key = `wire:${n}:${text}`;
        const record: OtpRecord = {
          id: `id ${text}`,
          hash: `h${text}`,
          linkHash: `l${text}`,
          expiresAt: now + 60_000,
          attempts: 1,
          maxAttempts: 3,
          data: text,
        };
        const hits: RateHit[] = [{ key: `${key}:w`, limit: 1, windowMs: 60_000 }];
        expect(await store.put(key, record, { now, retainUntil: now + 120_000, hits })).toEqual({
          ok: true,
          previous: null,
        });
        const again = await store.put(key, record, { now: now + 1, retainUntil: now + 120_000 });
        expect(again).toEqual({ ok: true, previous: record });
        // The window's key, read back from the refusal (the key travelled in a text[] literal).
        expect(await store.put(key, record, { now: now + 2, retainUntil: now + 120_000, hits })).toEqual({
          ok: false,
          key: `${key}:w`,
          retryAfterMs: 60_000 - 2,
        });
        expect(await store.hit(hits, now + 3)).toEqual({
          ok: false,
          key: `${key}:w`,
          retryAfterMs: 60_000 - 3,
        });
        expect(
          await store.check(key, { id: record.id, hashes: ["wrong", `l${text}`], now: now + 4 }),
        ).toEqual({
          status: "approved",
          record,
        });
      }
    });
    it("a refusing rule is answered with its own hit's key when shared logs come before it", async () => {
      const store = postgresStore({ client, table });
      const now = Date.now();
      // Rows: shared (2 rows: its rule and its `also`), then wide, then last (refuses second).
      const shared: RateHit = {
        key: "wire:rows:shared",
        limit: 5,
        windowMs: 10_000,
        also: [{ limit: 9, windowMs: 60_000 }],
      };
      const wide: RateHit = {
        key: "wire:rows:wide",
        limit: 5,
        windowMs: 60_000,
        also: [{ limit: 9, windowMs: 90_000 }],
      };
      const last: RateHit = { key: "wire:rows:last", limit: 1, windowMs: 30_000 };
      expect(await store.hit([shared, wide, last], now)).toEqual({ ok: true });
      expect(await store.hit([shared, wide, last], now + 1)).toEqual({
        ok: false,
        key: last.key,
        retryAfterMs: 29_999,
      });
      // And through check (its rules come after the failure counters' parameters).
      expect(
        await store.check("wire:rows:none", { hashes: ["h"], now: now + 2, hits: [shared, wide, last] }),
      ).toEqual({
        status: "limited",
        key: last.key,
        retryAfterMs: 29_998,
      });
    });
  });
});
