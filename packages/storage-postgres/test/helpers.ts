import { randomBytes } from "node:crypto";
import pg from "pg";

export const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

// The races queue hundreds of operations on a few rows: they run one after another (each commit
// waits for its WAL flush while holding its rows), so the last one waits for a free connection for
// the whole queue — ~1 s here when quiet, past 5 s while CI runs the other packages beside it. The
// pool's wait is not what the suites test, so it is as generous as the test timeout (60 s).
export const pool = (max = 20) =>
  new pg.Pool({ connectionString: databaseUrl, max, connectionTimeoutMillis: 45_000, query_timeout: 30_000 });

/** A schema no other run shares, dropped at the end: runs (and parallel test files) never collide. */
export async function runSchema(client: pg.Pool, label: string): Promise<string> {
  const schema = `otpkit_test_${label}_${randomBytes(5).toString("hex")}`;
  await client.query(`CREATE SCHEMA ${schema}`);
  return schema;
}

export const dropSchema = (client: pg.Pool, schema: string) =>
  client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);

/** A port on 127.0.0.1 where nothing listens (bound, then released). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import("node:net");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
