import { InvalidReportError } from "../errors";

// Real Trivy reports nest about 10 levels; anything far deeper is hostile or not a report.
export const MAX_JSON_DEPTH = 64;

/**
 * RFC 8785 (JCS) serialisation of a value produced by JSON.parse: object keys sorted by UTF-16
 * code units, numbers and strings as JSON.stringify writes them. Key order and whitespace in the
 * input therefore never change the output.
 */
export function canonicalJson(value: unknown, depth = 0): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
    case "number":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "object":
      break;
    default:
      throw new TypeError(`canonicalJson cannot serialise a ${typeof value}`);
  }
  if (depth >= MAX_JSON_DEPTH) {
    throw new InvalidReportError(`the report is nested more than ${MAX_JSON_DEPTH} levels deep`);
  }
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ",";
      out += canonicalJson(value[i], depth + 1);
    }
    return `${out}]`;
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object).sort();
  let out = "{";
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (i > 0) out += ",";
    out += `${JSON.stringify(key)}:${canonicalJson(object[key], depth + 1)}`;
  }
  return `${out}}`;
}
