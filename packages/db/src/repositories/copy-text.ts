// PostgreSQL COPY text format: tab-separated columns, \N for NULL, and backslash escapes for the
// characters that would otherwise end a field or a row.
const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPABLE = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

export function copyText(value: string | null): string {
  if (value === null) return "\\N";
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPABLE, (ch) => ESCAPES[ch] as string) : value;
}

/** JSON text never holds raw tabs or newlines (JSON.stringify escapes them); only \ needs doubling. */
export function copyJson(json: string | null): string {
  if (json === null) return "\\N";
  return json.includes("\\") ? json.replaceAll("\\", "\\\\") : json;
}

export function copyTextArray(values: string[] | null): string {
  if (values === null) return "\\N";
  const literal = `{${values.map((v) => `"${v.replace(/["\\]/g, "\\$&")}"`).join(",")}}`;
  return copyText(literal);
}
