import { MAX_IMAGE_NAME_LENGTH } from "@vulntriage/core";
import { Type } from "typebox";

// References to the shapes app.ts registers from core (as OpenAPI components). The description
// becomes the response's description in the document; the serialiser ignores it.
export const errorRef = (description: string, headers?: Record<string, ResponseHeader>) =>
  Type.Ref("Error", { description, ...(headers ? { headers } : {}) });
export const scanRef = (description: string) => Type.Ref("Scan", { description });

type ResponseHeader = { type: "string" | "integer"; description: string };

/** Response headers as @fastify/swagger documents them (the `headers` of a response schema). */
export const RETRY_AFTER: Record<string, ResponseHeader> = {
  "Retry-After": { type: "integer", description: "Seconds to wait before sending the request again" },
};

// The answers most routes share.
export const badRequest = errorRef("Malformed request: a parameter is missing, out of range or unreadable");
export const unavailable = errorRef("A dependency (PostgreSQL) is not answering; nothing was written");

export const ImageNameParam = Type.String({
  minLength: 1,
  maxLength: MAX_IMAGE_NAME_LENGTH,
  description: "Image name, percent-encoded (ghcr.io%2Forg%2Fapp%3A1.0)",
});

/**
 * A numeric id in a path, documented as the integer it is (generated clients take a number).
 * digitPathIds (plugins/request-guards.ts) refuses a sign, exponent, hex or space in it before
 * Ajv's number coercion would let them in.
 */
export const IdParam = (what: string) =>
  Type.Integer({
    minimum: 1,
    maximum: Number.MAX_SAFE_INTEGER,
    description: `Numeric ${what} id, a positive integer (digits only)`,
  });

// Beyond any table this service will hold, and within every integer type PostgreSQL has: 1e20
// would otherwise reach the database as a bigint it cannot read.
export const OffsetParam = Type.Optional(
  Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0, description: "Items to skip" }),
);
