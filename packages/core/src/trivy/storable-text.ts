import { canonicalJson } from "./canonical-json.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

// PostgreSQL text and jsonb cannot hold U+0000 or unpaired surrogates; JSON.stringify writes both
// as \u escapes, so their presence in canonical text is cheap to detect.
const UNSTORABLE_ESCAPE = /\\u(?:0000|d[89a-f])/i;

export function hasUnstorableText(canonical: string): boolean {
  return UNSTORABLE_ESCAPE.test(canonical);
}

export function cleanText(value: string): string {
  return value.replaceAll("\u0000", "\uFFFD").toWellFormed();
}

function cleanDeep(value: Json): Json {
  if (typeof value === "string") return cleanText(value);
  if (Array.isArray(value)) return value.map(cleanDeep);
  if (typeof value !== "object" || value === null) return value;
  // No prototype: a "__proto__" key (JSON.parse makes it an own property) stays a plain key
  // instead of replacing the prototype or vanishing.
  const out: JsonObject = Object.create(null);
  const keys = Object.keys(value);
  for (const key of keys) if (cleanText(key) === key) out[key] = cleanDeep(value[key] as Json);
  // A cleaned key never displaces a key that was stored exactly ("a\u0000" beside "a\uFFFD").
  for (const key of keys) {
    const cleaned = cleanText(key);
    if (cleaned !== key && !Object.hasOwn(out, cleaned)) out[cleaned] = cleanDeep(value[key] as Json);
  }
  return out;
}

/** The canonical JSON of `original` as jsonb can hold it: unchanged unless it needs cleaning. */
export function storableJson(canonical: string, needsCleaning: boolean, original: Json): string {
  return needsCleaning ? canonicalJson(cleanDeep(original)) : canonical;
}
