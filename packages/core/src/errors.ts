import { type Static, Type } from "typebox";

// Domain errors carry a stable code; the API maps codes to HTTP statuses in one place.
export type ErrorCode =
  | "malformed_json"
  | "malformed_body"
  | "invalid_request"
  | "invalid_report"
  | "unsupported_report"
  | "not_found"
  | "payload_too_large"
  | "unsupported_media_type"
  | "dependency_unavailable"
  | "unauthorized"
  | "forbidden"
  | "conflict"
  | "rate_limited"
  | "busy"
  | "misdirected_request";

export class DomainError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export class MalformedJsonError extends DomainError {
  constructor(message: string) {
    super("malformed_json", message);
  }
}

/** A body that cannot be read as sent: a broken gzip stream, a length that does not match. */
export class MalformedBodyError extends DomainError {
  constructor(message: string) {
    super("malformed_body", message);
  }
}

export class PayloadTooLargeError extends DomainError {
  constructor(message: string) {
    super("payload_too_large", message);
  }
}

/** A report larger than MAX_REPORT_BYTES, however it was sent. */
export function reportTooLarge(maxReportBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(
    `the report is larger than the ${maxReportBytes} bytes this server accepts (MAX_REPORT_BYTES), after gzip decoding`,
  );
}

export class UnsupportedMediaTypeError extends DomainError {
  constructor(message: string) {
    super("unsupported_media_type", message);
  }
}

/** A name or other unique thing already taken. */
export class ConflictError extends DomainError {
  constructor(message: string) {
    super("conflict", message);
  }
}

export class InvalidRequestError extends DomainError {
  constructor(message: string) {
    super("invalid_request", message);
  }
}

/** Valid JSON that is not a Trivy report we can store. */
export class InvalidReportError extends DomainError {
  constructor(message: string) {
    super("invalid_report", message);
  }
}

/** A Trivy output we recognise but do not ingest (k8s cluster reports, SARIF, SBOMs). */
export class UnsupportedReportError extends DomainError {
  constructor(message: string) {
    super("unsupported_report", message);
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string) {
    super("not_found", message);
  }
}

export class DependencyUnavailableError extends DomainError {
  constructor(message: string, options?: ErrorOptions) {
    super("dependency_unavailable", message, options);
  }
}

/** Too many uploads at once: the client should send it again after `retryAfterSeconds`. */
export class BusyError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super("busy", message);
  }
}

/** The body of every error the API answers with. */
export const ErrorSchema = Type.Object(
  {
    error: Type.String({ description: "Short machine-readable code, e.g. invalid_report" }),
    message: Type.String({ description: "What went wrong, for a person" }),
  },
  { $id: "Error", title: "Error" },
);

export type ErrorBody = Static<typeof ErrorSchema>;
