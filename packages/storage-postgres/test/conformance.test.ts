import { storeConformance } from "@otpkit/otp-core/testing";
import { migrate, postgresStorage } from "../src/index.js";
import { dropSchema, pool, runSchema } from "./helpers.js";

// The shared suite, races at 200 in flight over a pool of 20 connections, against the real server:
// with prepared statements (the default for a pg Pool) and with plain text queries.
for (const preparedStatements of [true, false]) {
  const client = pool(20);
  let schema = "";
  storeConformance(
    `postgres (${preparedStatements ? "prepared statements" : "text queries"})`,
    async () => {
      schema = await runSchema(client, "conformance");
      await migrate(client, { table: `${schema}.otpkit_codes` });
      return postgresStorage({ client, table: `${schema}.otpkit_codes`, preparedStatements });
    },
    {
      concurrency: 200,
      teardown: async () => {
        if (schema) await dropSchema(client, schema);
        await client.end();
      },
    },
  );
}
