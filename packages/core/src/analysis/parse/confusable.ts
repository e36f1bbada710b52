/**
 * Numbers that are something other than a score, told apart by what they are attached to: an identifier
 * (CVE-2021-44228, x86_64, v2), a dotted version, the CVSS or EPSS metric, a name right before them
 * ("Release 17", "`pkg` 3"), a year, a percentage, or a unit right after them ("7 days").
 */

import { isAlnum, isDigit, isLetter, isUpper, wordAfter, wordsBefore } from "./text.js";

// Between "CVSS" and its number: "CVSS v3.1 base score of 9.8".
const CVSS_FILLER = new Set(["score", "base", "of", "is", "a", "an", "the", "rating", "severity", "version"]);
// Nouns that number things: "version 3", "step 2", "port 8", "CVE 2021".
const NOT_A_SCORE_BEFORE = new Set([
  "version",
  "versions",
  "ver",
  "release",
  "build",
  "revision",
  "rev",
  "v",
  "cve",
  "cwe",
  "top",
  "step",
  "steps",
  "phase",
  "option",
  "item",
  "part",
  "port",
  "line",
  "section",
  "page",
  "number",
  "id",
]);
// Words a number may follow and still be a score: "rate this a 6", "a High 8", "around 7".
const SCORE_CONTEXT = new Set(["score", "rating", "rate", "rated", "risk", "level", "high", "medium", "low"]);
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

export function isConfusable(
  line: string,
  start: number,
  end: number,
  value: number,
  scaled: boolean,
): boolean {
  const before = line[start - 1];
  const after = line[end];
  // Glued to a word: CVE-2021-44228, x86_64, v2, #3, $5, 3rd, 64bit, 85%.
  if (isAlnum(before) || before === "_" || before === "$" || before === "#") return true;
  if ((before === "-" || before === "." || before === "/") && isAlnum(line[start - 2])) return true;
  if (isLetter(after) || after === "_" || after === "%") return true;
  if ((after === " " && line[end + 1] === "%") || (after === "," && isDigit(line, end + 1))) return true;
  if (Number.isInteger(value) && end - start === 4 && value >= 1900 && value <= 2100) return true; // a year
  const words = wordsBefore(line, start);
  let scored = false;
  for (const word of words) {
    if (word.startsWith("cvss") || word === "epss" || (word === "base" && scored)) return true;
    scored ||= word === "score";
    if (!CVSS_FILLER.has(word) && !/^v?\d+(?:\.\d+)?$/.test(word)) break;
  }
  if (NOT_A_SCORE_BEFORE.has(words[0] ?? "")) return true;
  // "x/10" is a score whatever precedes it; a bare number right after a name is that thing's number.
  if (!scaled && (afterName(line, start) || afterCode(line, start))) return true;
  return NOT_A_SCORE_AFTER.has(wordAfter(line, end));
}

/** "… for Release 17": a capitalised word mid-sentence, one space before the number. */
function afterName(line: string, start: number): boolean {
  if (line[start - 1] !== " ") return false;
  let q = start - 1;
  while (q > 0 && isLetter(line[q - 1])) q--;
  const word = line.slice(q, start - 1);
  if (word.length < 2 || !isUpper(word[0]) || SCORE_CONTEXT.has(word.toLowerCase())) return false;
  let p = q - 1;
  while (p >= 0 && " \t*_>".includes(line[p] ?? "")) p--;
  // At the start of a line or a sentence a capital says nothing ("Around 7.", "Score: Medium. 5").
  return p >= 0 && !".!?:;(-–—".includes(line[p] ?? "");
}

/** "`pkg` 3": a number right after inline code names that code's number. */
function afterCode(line: string, start: number): boolean {
  return line[start - 1] === " " && line[start - 2] === "`";
}
