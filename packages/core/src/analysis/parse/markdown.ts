/** Block-level Markdown shapes recognised line by line: fences, breaks, setext underlines, list markers. */

import { indentOf, isDigit, skipSpaces } from "./text.js";

export type Fence = { char: "`" | "~"; info: string };

export function readFence(line: string): Fence | null {
  let i = 0;
  while (line[i] === " " || line[i] === "\t") i++;
  const char = line[i];
  if (char !== "`" && char !== "~") return null;
  let j = i;
  while (line[j] === char) j++;
  if (j - i < 3) return null;
  const info = line.slice(j).trim();
  if (char === "`" && info.includes("`")) return null; // inline ```code``` on one line
  return { char, info };
}

/** For each line index, the next bare closing fence of each kind (backtick, tilde), or -1. */
export function fenceClosers(lines: string[]): [number[], number[]] {
  const ticks = new Array<number>(lines.length + 1).fill(-1);
  const tildes = new Array<number>(lines.length + 1).fill(-1);
  for (let i = lines.length - 1; i >= 0; i--) {
    const fence = readFence(lines[i] ?? "");
    const bare = fence !== null && fence.info === "";
    ticks[i] = bare && fence.char === "`" ? i : (ticks[i + 1] ?? -1);
    tildes[i] = bare && fence.char === "~" ? i : (tildes[i + 1] ?? -1);
  }
  return [ticks, tildes];
}

/** `---`, `***`, `___`, `* * *`, and `===` left over from an unrecognised setext heading. */
export function isBreakLine(text: string): boolean {
  const first = text[0];
  if (first !== "-" && first !== "*" && first !== "_" && first !== "=") return false;
  let count = 0;
  for (const char of text) {
    if (char === first) count++;
    else if (char !== " " && char !== "\t") return false;
  }
  return count >= 3;
}

export function isSetextUnderline(line: string): boolean {
  if (indentOf(line) > 3) return false;
  const text = line.trim();
  const first = text[0];
  if ((first !== "=" && first !== "-") || text.length < 2) return false;
  for (const char of text) if (char !== first) return false;
  return true;
}

/** `- `, `* `, `+ `, `• `, `1. ` or `1) ` (up to three digits, so "2023. …" stays text). */
export function listMarker(text: string): { content: string } | null {
  const first = text[0];
  if (first === "-" || first === "*" || first === "+" || first === "•") {
    if (text.length === 1) return { content: "" };
    return text[1] === " " || text[1] === "\t" ? { content: text.slice(2).trim() } : null;
  }
  let i = 0;
  while (i < 3 && isDigit(text, i)) i++;
  if (i === 0 || (text[i] !== "." && text[i] !== ")")) return null;
  if (i + 1 === text.length) return { content: "" };
  return text[i + 1] === " " || text[i + 1] === "\t" ? { content: text.slice(i + 2).trim() } : null;
}

/** `## Title ##`: closing hashes go only when a space separates them from the title. */
export function stripClosingHashes(title: string): string {
  let end = title.length;
  while (end > 0 && (title[end - 1] === " " || title[end - 1] === "\t")) end--;
  let start = end;
  while (start > 0 && title[start - 1] === "#") start--;
  if (start === end) return title;
  if (start === 0 || title[start - 1] === " " || title[start - 1] === "\t") return title.slice(0, start);
  return title;
}

/** Skips "1. " or "12) " numbering before a label. */
export function skipNumbering(text: string, p: number): number {
  let q = p;
  while (q - p < 2 && isDigit(text, q)) q++;
  if (q === p || (text[q] !== "." && text[q] !== ")") || text[q + 1] !== " ") return p;
  return skipSpaces(text, q + 1);
}
