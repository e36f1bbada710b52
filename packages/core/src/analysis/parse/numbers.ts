/** Finds the numbers in a line that could be a risk score, and how strongly each is presented as one. */

import { isConfusable } from "./confusable.js";
import { rootOf } from "./lexicon.js";
import { isAlnum, isDigit, skipDigits, wordsBefore } from "./text.js";

export type NumberToken = {
  raw: string;
  value: number;
  denominator: number | null;
  range: boolean;
  negative: boolean;
  strong: boolean;
};

/** Numbers in one line that could be a score; CVE ids, versions, CVSS values, years and percentages are skipped. */
export function numbersIn(line: string): NumberToken[] {
  const found: NumberToken[] = [];
  let i = 0;
  while (i < line.length) {
    if (!isDigit(line, i)) {
      i++;
      continue;
    }
    const start = i;
    i = skipDigits(line, i);
    let dots = 0;
    while (line[i] === "." && isDigit(line, i + 1)) {
      dots++;
      i = skipDigits(line, i + 1);
    }
    const end = i;
    const scale = readScale(line, end);
    const range = scale ? null : readRange(line, end);
    i = scale?.end ?? range?.end ?? end;
    const value = Number(line.slice(start, end));
    if (dots > 1 || isConfusable(line, start, end, value, scale !== null)) continue;
    if (scale && scale.denominator !== 10 && scale.denominator !== 100) continue; // 24/7, 3/5, dates
    if (range && value <= 1 && (range.other === 10 || range.other === 100)) continue; // "1-10" is the scale
    found.push({
      raw: line.slice(start, i),
      value,
      denominator: scale?.denominator ?? null,
      range: range !== null,
      negative: line[start - 1] === "-" && !isAlnum(line[start - 2]),
      strong:
        scale !== null || isBold(line, start, end) || isLineStart(line, start) || followsLabel(line, start),
    });
  }
  return found;
}

// "/10", " / 10", "** out of 10" after a number, with a bounded amount of padding.
function readScale(line: string, end: number): { denominator: number; end: number } | null {
  let q = skipPadding(line, end);
  if (line[q] === "/") q++;
  else if (line.slice(q, q + 6).toLowerCase() === "out of") q += 6;
  else return null;
  q = skipPadding(line, q);
  if (!isDigit(line, q)) return null;
  const start = q;
  q = skipDigits(line, q);
  if (line[q] === "." && isDigit(line, q + 1)) q = skipDigits(line, q + 1);
  return { denominator: Number(line.slice(start, q)), end: q };
}

function readRange(line: string, end: number): { other: number; end: number } | null {
  let q = end;
  if (line[q] === " ") q++;
  if (line[q] === "-" || line[q] === "–" || line[q] === "—") q++;
  else if (line.slice(q, q + 3).toLowerCase() === "to ") q += 2;
  else return null;
  if (line[q] === " ") q++;
  if (!isDigit(line, q)) return null;
  const start = q;
  q = skipDigits(line, q);
  return { other: Number(line.slice(start, q)), end: q };
}

function skipPadding(line: string, p: number): number {
  let q = p;
  while (q - p < 6 && (line[q] === " " || line[q] === "*" || line[q] === "_")) q++;
  return q;
}

const SCORE_WORDS = new Set(["score", "rating", "rated", "rate", "risk", "level"]);
const LINK_WORDS = new Set([
  "is",
  "of",
  "at",
  "be",
  "a",
  "an",
  "as",
  "to",
  "it",
  "this",
  "would",
  "i'd",
  "d",
]);

/** "score of 8", "rated at 7", "I would rate this a 6", "urgency is 9". */
function followsLabel(line: string, start: number): boolean {
  for (const word of wordsBefore(line, start)) {
    if (SCORE_WORDS.has(word) || isRiskWord(word)) return true;
    if (!LINK_WORDS.has(word)) return false;
  }
  return false;
}

/** "urgency", "priority", "criticality": a word naming the risk, not a generic "assessment". */
function isRiskWord(word: string): boolean {
  const root = rootOf(word);
  return root?.family === "risk" && root.role !== "generic";
}

function isBold(line: string, start: number, end: number): boolean {
  const before = line[start - 1];
  return (before === "*" || before === "_") && line[end] === before;
}

/** Nothing but markers and emphasis before the number: "8", "**8**", "- 8", "> 8", "(8". */
function isLineStart(line: string, start: number): boolean {
  let q = start - 1;
  while (q >= 0 && start - q <= 40 && " \t*_:=(>[-+•".includes(line[q] ?? "")) q--;
  return q < 0;
}
