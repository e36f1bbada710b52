import { sqlState } from "@vulntriage/db";

// Credentials a request or an outbound call may carry, wherever a log line nests its headers.
const SECRET_HEADERS = ["authorization", "x-api-key", "apiKey", "cookie"];
const REDACT_PATHS = SECRET_HEADERS.flatMap((header) =>
  ["req.headers", "request.headers", "headers", "*.headers", "err.config.headers"].map(
    (parent) => `${parent}["${header}"]`,
  ),
);

/** pino options for the API and the worker: the level, and credentials never written. */
export function loggerOptions(level: string, base?: Record<string, string>) {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    ...(base ? { base } : {}),
  };
}

const MAX_MESSAGE = 200;

/**
 * What a log line at info or above may say about a failure: its kind and code, and for failures
 * that are not the database's a short message. Never SQL, its parameters or a stack (drizzle puts
 * the statement and every parameter into its message); log the error itself at debug for those.
 */
export function failureSummary(error: unknown): { type: string; code?: string; message?: string } {
  if (!(error instanceof Error)) return { type: typeof error };
  const state = sqlState(error);
  if (state !== undefined || error.message.startsWith("Failed query:")) {
    const code = state ?? codeOf(error.cause);
    return { type: "database_error", ...(code ? { code } : {}) };
  }
  const code = codeOf(error);
  const firstLine = error.message.split("\n", 1)[0] ?? "";
  return {
    type: error.name,
    ...(code ? { code } : {}),
    message: firstLine.length > MAX_MESSAGE ? `${firstLine.slice(0, MAX_MESSAGE)}…` : firstLine,
  };
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}
