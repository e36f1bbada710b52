import pg from "pg";

/** drizzle wraps driver errors; the server's own error sits on the error or along its causes. */
export function sqlState(error: unknown): string | undefined {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (e instanceof pg.DatabaseError) return e.code;
  }
  return undefined;
}

// Errors that say the database, not the statement, is at fault: no connection, a connection
// lost, or a server shutting down, starting up or out of connections.
const UNAVAILABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EPIPE"]);
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300"]);

// pg reports a connection that closed under it (and any later query on it, a rollback say), or
// a pool that could not connect in time, with these messages and no code.
const CONNECTION_LOST =
  /^(?:Connection terminated\b|Client has encountered a connection error|timeout exceeded when trying to connect)/;

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (!(e instanceof pg.DatabaseError) && CONNECTION_LOST.test(e.message)) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code !== "string") continue;
    if (e instanceof pg.DatabaseError ? UNAVAILABLE_SQLSTATES.has(code) : UNAVAILABLE_CODES.has(code))
      return true;
  }
  return false;
}
