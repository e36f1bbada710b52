import { Type } from "typebox";

// References to the shapes app.ts registers from core (as OpenAPI components).
export const errorRef = Type.Ref("Error");
export const scanRef = Type.Ref("Scan");
