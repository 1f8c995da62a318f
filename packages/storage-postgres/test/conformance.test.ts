import { storeConformance } from "@otpkit/otp-core/testing";
import pg from "pg";
import { migrate, postgresStore } from "../src/index.js";
import { closedPort, dropSchema, pool, runSchema } from "./helpers.js";

// The shared suite, races at 200 in flight over a pool of 20 connections, against the real server:
// with prepared statements (the default for a pg Pool) and with plain text queries.
for (const preparedStatements of [true, false]) {
  const client = pool(20);
  let schema = "";
  const deadPools: pg.Pool[] = [];
  storeConformance(`postgres (${preparedStatements ? "prepared statements" : "text queries"})`, {
    create: async () => {
      schema = await runSchema(client, "conformance");
      await migrate(client, { table: `${schema}.otpkit_codes` });
      return postgresStore({ client, table: `${schema}.otpkit_codes`, preparedStatements });
    },
    // Every row of either table: no code or link token may be in any column.
    ...(preparedStatements
      ? {
          dump: async () => {
            const codes = await client.query(`SELECT * FROM ${schema}.otpkit_codes`);
            const windows = await client.query(`SELECT * FROM ${schema}.otpkit_codes_windows`);
            return [...codes.rows, ...windows.rows].map((row) => JSON.stringify(row));
          },
          unreachable: async () => {
            const dead = new pg.Pool({
              host: "127.0.0.1",
              port: await closedPort(),
              user: "postgres",
              database: "test",
              connectionTimeoutMillis: 1000,
            });
            deadPools.push(dead);
            return postgresStore({ client: dead });
          },
          unreachableWithinMs: 2000,
        }
      : {}),
    concurrency: 200,
    teardown: async () => {
      if (schema) await dropSchema(client, schema);
      await client.end();
      await Promise.all(deadPools.map((dead) => dead.end()));
    },
  });
}
