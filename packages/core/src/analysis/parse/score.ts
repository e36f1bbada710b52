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

/** Never rounds or clamps: 7.5, 0, 11 and 15/10 are refused. */
function scoreOf(token: NumberToken): number | null {
  if (token.range || token.negative) return null;
  const value = token.denominator === 100 ? token.value / 10 : token.value;
  return Number.isInteger(value) && value >= 1 && value <= 10 ? value : null;
}
