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

export function isUpper(char: string | undefined): boolean {
  return char !== undefined && /\p{Lu}/u.test(char);
}

export function joinText(a: string, b: string): string {
  return a && b ? `${a} ${b}` : a || b;
}

export function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** Up to four lower-cased words within 48 characters before `start`, nearest first. */
export function wordsBefore(line: string, start: number): string[] {
  const words: string[] = [];
  const stop = Math.max(0, start - 48);
  let q = start - 1;
  while (q >= stop && words.length < 4) {
    while (q >= stop && !isWordChar(line[q])) q--;
    const end = q + 1;
    while (q >= stop && isWordChar(line[q])) q--;
    if (end > q + 1) words.push(trimDots(line.slice(q + 1, end).toLowerCase()));
  }
  return words;
}

export function wordAfter(line: string, end: number): string {
  let q = end;
  while (line[q] === " " && q - end < 3) q++;
  const start = q;
  while (q - start < 20 && isLetter(line[q])) q++;
  return line.slice(start, q).toLowerCase();
}

function trimDots(word: string): string {
  let start = 0;
  let end = word.length;
  while (word[start] === ".") start++;
  while (end > start && word[end - 1] === ".") end--;
  return word.slice(start, end);
}

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && (isAlnum(char) || char === "." || char === "'");
}
