import { storeConformance } from "@otpkit/otp-core/testing";
import { migrate, postgresStorage } from "../src/index.js";
import { dropSchema, pool, runSchema } from "./helpers.js";

// The shared suite, races at 200 in flight over a pool of 20 connections, against the real server.
const client = pool(20);
let schema = "";

storeConformance(
  "postgres",
  async () => {
    schema = await runSchema(client, "conformance");
    await migrate(client, { table: `${schema}.otpkit_codes` });
    return postgresStorage({ client, table: `${schema}.otpkit_codes` });
  },
  {
    concurrency: 200,
    teardown: async () => {
      if (schema) await dropSchema(client, schema);
      await client.end();
    },
  },
);
