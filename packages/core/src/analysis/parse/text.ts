/** Character-level helpers: index-based so that no regex runs over a whole (possibly hostile) line. */

export function isDigit(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  return code >= 48 && code <= 57;
}

export function skipDigits(text: string, i: number): number {
  let q = i;
  while (isDigit(text, q)) q++;
  return q;
}

export function skipSpaces(text: string, p: number): number {
  let q = p;
  while (text[q] === " " || text[q] === "\t") q++;
  return q;
}

export function isLetter(char: string | undefined): boolean {
  return char !== undefined && /\p{L}/u.test(char);
}

export function isAlnum(char: string | undefined): boolean {
  return char !== undefined && /[\p{L}\p{N}]/u.test(char);
}

export function indentOf(line: string): number {
  let width = 0;
  for (const char of line) {
    if (char === " ") width += 1;
    else if (char === "\t") width += 4;
    else break;
  }
  return width;
}

export function joinText(a: string, b: string): string {
  return a && b ? `${a} ${b}` : a || b;
}

export function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
