export const MAX_IMAGE_NAME_LENGTH = 1024;
// Image names are indexed, and a btree row cannot exceed 2704 bytes: bound the UTF-8 size too.
const MAX_IMAGE_NAME_BYTES = 2000;

// Cc is C0, DEL and C1; Zl and Zp are U+2028 and U+2029, which break lines like a newline.
const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}]/u;
// Cf: bidi embeddings, overrides, isolates and marks (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F,
// U+061C), zero-width space, the BOM, tag characters. Not the joiners U+200C and U+200D, which
// Persian, Indic scripts and emoji sequences need and which cannot reorder text.
const FORMAT = /(?![\u200c\u200d])\p{Cf}/u;

/** Why `name` cannot be an image name, or undefined when it can. */
export function imageNameProblem(name: string): string | undefined {
  if (name === "") return "must not be empty";
  if (name.length > MAX_IMAGE_NAME_LENGTH) return `is longer than ${MAX_IMAGE_NAME_LENGTH} characters`;
  if (Buffer.byteLength(name) > MAX_IMAGE_NAME_BYTES)
    return `is longer than ${MAX_IMAGE_NAME_BYTES} bytes of UTF-8`;
  if (CONTROL.test(name)) return "must not contain control characters (C0, DEL, C1 or line separators)";
  // A right-to-left override makes "app-gpj.exe" read as "app-exe.jpg": names must show what they are.
  if (FORMAT.test(name))
    return "must not contain invisible formatting characters (bidirectional overrides, zero-width characters)";
  if (name !== name.toWellFormed()) return "must be valid Unicode text";
  return undefined;
}
