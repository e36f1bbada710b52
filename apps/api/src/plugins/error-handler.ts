import { DomainError, type ErrorCode } from "@vulntriage/core";
import type { FastifyError, FastifyInstance } from "fastify";

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  malformed_json: 400,
  invalid_request: 400,
  invalid_report: 422,
  unsupported_report: 422,
  not_found: 404,
  payload_too_large: 413,
  unsupported_media_type: 415,
  dependency_unavailable: 503,
};

// Fastify's own errors that a client can cause, with the answer a client should read.
const FASTIFY_ERRORS: Record<string, { status: number; error: string; message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, error: "payload_too_large" },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    error: "unsupported_media_type",
    message: "send the report as application/json (curl: -H 'Content-Type: application/json')",
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    error: "malformed_body",
    message: "the body's length does not match its Content-Length header",
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, error: "malformed_json", message: "the body is empty" },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, error: "malformed_json" },
};

const CLIENT_ERROR_NAMES: Record<number, string> = {
  400: "malformed_body",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

// Connection failures and server shutdowns from pg: the database, not the request, is at fault.
const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "57P01",
  "57P03",
  "53300",
]);

type ErrorBody = { error: string; message: string };

export function registerErrorHandling(app: FastifyInstance, options: { maxReportBytes: number }): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, body } = describeError(error, options.maxReportBytes);
    if (status >= 500) {
      request.log.error({ err: error, url: request.url, method: request.method }, "request failed");
    } else {
      request.log.info({ code: body.error, status }, body.message);
    }
    return reply.status(status).send(body);
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({ error: "not_found", message: `no route ${request.method} ${request.url.split("?")[0]}` }),
  );
}

function describeError(error: FastifyError, maxReportBytes: number): { status: number; body: ErrorBody } {
  if (error instanceof DomainError) {
    return { status: STATUS_BY_CODE[error.code], body: { error: error.code, message: error.message } };
  }
  if (error.validation) {
    const where = error.validationContext ?? "request";
    return {
      status: 400,
      body: { error: "invalid_request", message: `${where}${error.message.slice(where.length)}` },
    };
  }
  const known = error.code ? FASTIFY_ERRORS[error.code] : undefined;
  if (known) {
    const message =
      known.status === 413
        ? `the report is larger than the ${maxReportBytes} bytes this server accepts (MAX_REPORT_BYTES), after gzip decoding`
        : (known.message ?? error.message);
    return { status: known.status, body: { error: known.error, message } };
  }
  const driverCode = error.code ?? (error.cause as { code?: string } | undefined)?.code;
  if (driverCode && UNAVAILABLE_CODES.has(driverCode)) {
    return {
      status: 503,
      body: { error: "dependency_unavailable", message: "the database is not answering; try again" },
    };
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    const code = CLIENT_ERROR_NAMES[error.statusCode] ?? "bad_request";
    return { status: error.statusCode, body: { error: code, message: error.message } };
  }
  // Never leak internals (stack traces, SQL) of an unexpected failure to the client.
  return {
    status: 500,
    body: { error: "internal_error", message: "the server failed to handle this request" },
  };
}
