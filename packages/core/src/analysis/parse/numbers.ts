/** Finds the numbers in a line that could be a risk score, and how strongly each is presented as one. */

import { isAlnum, isDigit, isLetter, skipDigits } from "./text.js";

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
    if (dots > 1 || isConfusable(line, start, end, value)) continue;
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

// Words right before a number that make it something other than a score.
const CVSS_FILLER = new Set(["score", "base", "of", "is", "a", "an", "the", "rating", "severity", "version"]);
const NOT_A_SCORE_BEFORE = new Set([
  "version",
  "versions",
  "ver",
  "release",
  "v",
  "java",
  "jdk",
  "jre",
  "python",
  "node",
  "nodejs",
  "go",
  "golang",
  "php",
  "ruby",
  "ubuntu",
  "debian",
  "rhel",
  "alpine",
  "centos",
  "fedora",
  "kernel",
  "linux",
  "windows",
  "openssl",
  "glibc",
  "curl",
  "libcurl",
  "zlib",
  "lodash",
  "log4j",
  "tls",
  "http",
  "cve",
  "cwe",
  "top",
  "step",
  "steps",
  "phase",
  "port",
  "line",
  "section",
  "page",
]);
const NOT_A_SCORE_AFTER = new Set([
  "days",
  "day",
  "hours",
  "hour",
  "weeks",
  "week",
  "months",
  "month",
  "years",
  "year",
  "minutes",
  "seconds",
  "services",
  "hosts",
  "containers",
  "images",
  "steps",
  "times",
  "instances",
  "packages",
  "bytes",
  "cves",
  "vulnerabilities",
  "findings",
  "users",
  "requests",
  "percent",
]);

function isConfusable(line: string, start: number, end: number, value: number): boolean {
  const before = line[start - 1];
  const after = line[end];
  // Glued to a word: CVE-2021-44228, log4j, v2, x86_64, #3, $5, 3rd, 64bit, 85%.
  if (isAlnum(before) || before === "_" || before === "$" || before === "#") return true;
  if ((before === "-" || before === "." || before === "/") && isAlnum(line[start - 2])) return true;
  if (isLetter(after) || after === "_" || after === "%") return true;
  if ((after === " " && line[end + 1] === "%") || (after === "," && isDigit(line, end + 1))) return true;
  if (Number.isInteger(value) && end - start === 4 && value >= 1900 && value <= 2100) return true; // a year
  const words = wordsBefore(line, start);
  for (const word of words) {
    if (word.startsWith("cvss") || word === "nvd" || word === "epss") return true;
    if (!CVSS_FILLER.has(word) && !/^v?\d+(?:\.\d+)?$/.test(word)) break; // "CVSS v3.1 base score of 9.8"
  }
  if (NOT_A_SCORE_BEFORE.has(words[0] ?? "")) return true;
  return NOT_A_SCORE_AFTER.has(wordAfter(line, end));
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

/** "score of 8", "rated at 7", "I would rate this a 6". */
function followsLabel(line: string, start: number): boolean {
  for (const word of wordsBefore(line, start)) {
    if (SCORE_WORDS.has(word)) return true;
    if (!LINK_WORDS.has(word)) return false;
  }
  return false;
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

/** Up to four lower-cased words within 48 characters before `start`, nearest first. */
function wordsBefore(line: string, start: number): string[] {
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

function wordAfter(line: string, end: number): string {
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
