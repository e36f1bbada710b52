import {
  BusyError,
  DomainError,
  type ErrorBody,
  type ErrorCode,
  failureSummary,
  MalformedBodyError,
  reportTooLarge,
} from "@vulntriage/core";
import type { FastifyError, FastifyInstance } from "fastify";

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  malformed_json: 400,
  malformed_body: 400,
  invalid_request: 400,
  invalid_report: 422,
  unsupported_report: 422,
  not_found: 404,
  payload_too_large: 413,
  unsupported_media_type: 415,
  dependency_unavailable: 503,
  unauthorized: 401,
  forbidden: 403,
  conflict: 409,
  rate_limited: 429,
  busy: 503,
  misdirected_request: 421,
};

// Fastify's own errors that a client can cause, as the domain errors a client should read.
const FASTIFY_ERRORS: Record<string, (error: FastifyError, maxReportBytes: number) => DomainError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (_error, maxReportBytes) => reportTooLarge(maxReportBytes),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    new DomainError(
      "unsupported_media_type",
      "send the report as application/json (curl: -H 'Content-Type: application/json')",
    ),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    new MalformedBodyError("the body's length does not match its Content-Length header"),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new DomainError("malformed_json", "the body is empty"),
  FST_ERR_CTP_INVALID_JSON_BODY: (error) => new DomainError("malformed_json", error.message),
};

const CLIENT_ERROR_NAMES: Record<number, string> = {
  400: "malformed_body",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

export function registerErrorHandling(app: FastifyInstance, options: { maxReportBytes: number }): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, body } = describeError(error, options.maxReportBytes);
    if (error instanceof BusyError) reply.header("retry-after", String(error.retryAfterSeconds));
    // Above debug only what kind of failure it was: a driver error's message holds the SQL and its
    // parameters, and a 4xx message may quote the report.
    const where = { method: request.method, route: request.routeOptions.url };
    // Refusing an upload while at the cap is the server working as designed, not a failure.
    if (status >= 500 && !(error instanceof BusyError)) {
      request.log.error({ ...where, status, failure: failureSummary(error) }, "request failed");
      request.log.debug({ err: error }, "request failure details");
    } else {
      request.log.info({ ...where, status, code: body.error }, "request refused");
      request.log.debug({ message: body.message }, "request refusal details");
    }
    return reply.status(status).send(body);
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({ error: "not_found", message: `no route ${request.method} ${request.url.split("?")[0]}` }),
  );
}

/** The status and error body the API answers for this error (also for plugins with handlers of their own). */
export function describeError(
  error: FastifyError,
  maxReportBytes: number,
): { status: number; body: ErrorBody } {
  const domain =
    error instanceof DomainError
      ? error
      : error.code
        ? FASTIFY_ERRORS[error.code]?.(error, maxReportBytes)
        : undefined;
  if (domain)
    return { status: STATUS_BY_CODE[domain.code], body: { error: domain.code, message: domain.message } };
  if (error.validation) {
    const where = error.validationContext ?? "request";
    return {
      status: 400,
      body: { error: "invalid_request", message: `${where}${error.message.slice(where.length)}` },
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
