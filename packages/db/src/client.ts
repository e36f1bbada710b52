import { type ExtractTablesWithRelations, is } from "drizzle-orm";
import { drizzle, type NodePgDatabase, type NodePgQueryResultHKT } from "drizzle-orm/node-postgres";
import { PgTransaction } from "drizzle-orm/pg-core";
import pg from "pg";
import { sqlState } from "./errors.js";
import * as schema from "./schema/index.js";

type Database = NodePgDatabase<typeof schema> & { $client: pg.Pool };
export type Transaction = PgTransaction<
  NodePgQueryResultHKT,
  typeof schema,
  ExtractTablesWithRelations<typeof schema>
>;
/** What every repository function takes first: the pool-backed database or an open transaction. */
export type Executor = Database | Transaction;

export type DatabaseHandle = {
  db: Database;
  pool: pg.Pool;
  close: () => Promise<void>;
};

// One int8 policy for every path (drizzle's builder, drizzle's raw execute, the pool itself):
// drizzle looks parsers up in pg's global registry, so that is where this one goes. Ids and
// counts stay exact as numbers up to 2^53; a larger value is an error, never a rounded id.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => {
  const number = Number(value);
  if (!Number.isSafeInteger(number))
    throw new RangeError(`int8 value ${value} does not fit a JavaScript number`);
  return number;
});

type DatabaseOptions = {
  maxConnections?: number;
  applicationName?: string;
};

export function createDatabase(url: string, options: DatabaseOptions = {}): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? "vulntriage",
    connectionTimeoutMillis: 5_000,
  });
  // A client that loses its server must not crash the process, idle or checked out (a COPY, a
  // transaction): pg-pool listens only while a client is idle, so every client gets its own
  // listener. The query in flight fails with the error, and the pool discards the client.
  pool.on("error", () => {});
  pool.on("connect", (client) => {
    client.on("error", () => {});
  });
  const db = drizzle(pool, { schema });
  return { db, pool, close: () => pool.end() };
}

/** Runs `fn` in a transaction: the one `db` already is, or a new one. */
export async function runInTransaction<T>(db: Executor, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  if (is(db, PgTransaction)) return fn(db as Transaction);
  return (db as Database).transaction(fn);
}

/**
 * Runs `fn` in a transaction together with the pg connection under it, for what drizzle cannot
 * send (COPY streams): a connection of its own from the pool, or the outer transaction's own
 * connection inside a savepoint.
 */
export async function withConnection<T>(
  db: Executor,
  fn: (tx: Transaction, connection: pg.ClientBase) => Promise<T>,
): Promise<T> {
  if (is(db, PgTransaction)) {
    // drizzle keeps the transaction's connection on its session and exposes no accessor for it.
    const { client } = (db as unknown as { session: { client: pg.ClientBase } }).session;
    return (db as Transaction).transaction((tx) => fn(tx, client));
  }
  const connection = await (db as Database).$client.connect();
  let failure: Error | undefined;
  try {
    return await drizzle(connection, { schema }).transaction((tx) => fn(tx, connection));
  } catch (error) {
    if (sqlState(error) === undefined) failure = error as Error;
    throw error;
  } finally {
    // A connection that failed other than by the server's own answer (a unique violation, say)
    // may be broken: the pool discards it rather than hand it out again.
    connection.release(failure);
  }
}
