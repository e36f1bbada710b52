import { MAX_IMAGE_NAME_LENGTH } from "@vulntriage/core";
import { Type } from "typebox";

// References to the shapes app.ts registers from core (as OpenAPI components).
export const errorRef = Type.Ref("Error");
export const scanRef = Type.Ref("Scan");

export const ImageNameParam = Type.String({
  minLength: 1,
  maxLength: MAX_IMAGE_NAME_LENGTH,
  description: "Image name, percent-encoded (ghcr.io%2Forg%2Fapp%3A1.0)",
});

// Beyond any table this service will hold, and within every integer type PostgreSQL has: 1e20
// would otherwise reach the database as a bigint it cannot read.
export const OffsetParam = Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 });
