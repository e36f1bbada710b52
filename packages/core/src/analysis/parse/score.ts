/** Picks the one risk score of an answer from its risk sections; there is deliberately no default. */

import { AnalysisParseError } from "./errors.js";
import { listMarker } from "./markdown.js";
import { type NumberToken, numbersIn } from "./numbers.js";
import type { Section } from "./sections.js";
import { clip, isDigit } from "./text.js";

type Candidate = { token: NumberToken; strong: boolean };

/**
 * Only risk sections are searched. In each: the label's own line first, then the first "strong" number
 * (at the start of a line, bold, followed by /10, /100 or "out of 10", or right after "score"/"rating"),
 * then any plausible 1-10 integer. Strong candidates from different sections must agree.
 */
export function pickRiskScore(sections: Section[]): number {
  const candidates = sections
    .filter((section) => section.kind === "risk")
    .map(sectionCandidate)
    .filter((candidate) => candidate !== null);
  const strong = candidates.filter((candidate) => candidate.strong);
  const chosen = strong[0] ?? candidates[0];
  if (!chosen) throw new AnalysisParseError("no_risk_score");
  const value = scoreOf(chosen.token);
  if (value === null) throw new AnalysisParseError("invalid_risk_score", `got "${clip(chosen.token.raw)}"`);
  for (const other of strong) {
    const otherValue = scoreOf(other.token);
    // Two different scores may mean one was injected through the finding text; refuse to pick.
    if (otherValue !== null && otherValue !== value) {
      throw new AnalysisParseError("invalid_risk_score", `conflicting scores ${value} and ${otherValue}`);
    }
  }
  return value;
}

function sectionCandidate(section: Section): Candidate | null {
  const fromLabel = numbersIn(section.rest)[0];
  if (fromLabel) return { token: fromLabel, strong: true };
  const lines = section.body.flatMap((block) => (block.type === "text" ? [block.text] : []));
  // "1. Exploitability…" lines are a list, not scores, when there are several of them.
  const ordered = lines.filter((line) => listMarker(line) !== null && isDigit(line, 0)).length;
  let weak: NumberToken | null = null;
  for (const line of lines) {
    const marker = ordered >= 2 && isDigit(line, 0) ? listMarker(line) : null;
    for (const token of numbersIn(marker ? marker.content : line)) {
      if (token.strong) return { token, strong: true };
      if (!weak && isPlausibleWeak(token)) weak = token;
    }
  }
  return weak ? { token: weak, strong: false } : null;
}

function isPlausibleWeak(token: NumberToken): boolean {
  return (
    !token.range && !token.negative && Number.isInteger(token.value) && token.value >= 1 && token.value <= 10
  );
}

/**
 * A 10-point score is taken as it is: 7.5, 0, 11 and 15/10 are refused. A 100-point score is brought to the
 * 10-point scale, rounded and never below 1 (80/100 is 8, 5/100 is 1); 0/100 and 120/100 are refused.
 */
function scoreOf(token: NumberToken): number | null {
  const { value } = token;
  if (token.range || token.negative || !Number.isInteger(value)) return null;
  if (token.denominator === 100)
    return value >= 1 && value <= 100 ? Math.max(1, Math.round(value / 10)) : null;
  return value >= 1 && value <= 10 ? value : null;
}
