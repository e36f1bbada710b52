export const MAX_IMAGE_NAME_LENGTH = 1024;
// Image names are indexed, and a btree row cannot exceed 2704 bytes: bound the UTF-8 size too.
const MAX_IMAGE_NAME_BYTES = 2000;

/** Why `name` cannot be an image name, or undefined when it can. */
export function imageNameProblem(name: string): string | undefined {
  if (name === "") return "must not be empty";
  if (name.length > MAX_IMAGE_NAME_LENGTH) return `is longer than ${MAX_IMAGE_NAME_LENGTH} characters`;
  if (Buffer.byteLength(name) > MAX_IMAGE_NAME_BYTES)
    return `is longer than ${MAX_IMAGE_NAME_BYTES} bytes of UTF-8`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(name)) return "must not contain control characters";
  if (name !== name.toWellFormed()) return "must be valid Unicode text";
  return undefined;
}
