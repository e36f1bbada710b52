/**
 * Structural evidence for headings whose name says nothing ("## Bananas"): what the body holds decides,
 * and only for a family the answer has no named section for, so a named section is never second-guessed.
 */

import { listMarker } from "./markdown.js";
import { numbersIn } from "./numbers.js";
import type { Section } from "./sections.js";

// An inferred summary ranks below every named one.
const INFERRED_RANK = 8;

export function inferKinds(sections: Section[]): void {
  const has = (kind: Section["kind"]) =>
    sections.some((section) => section.kind === kind && !section.unknown);
  const unknown = sections.filter((section) => section.unknown);
  if (unknown.length === 0) return;
  if (!has("risk")) {
    for (const section of unknown) if (holdsScore(section)) section.kind = "risk";
  }
  if (!has("summary")) {
    // The answer's first section, told in prose, is what the answer is about.
    const first = sections[0];
    if (first?.unknown && first.kind === "other" && isProse(first)) {
      first.kind = "summary";
      first.rank = INFERRED_RANK;
    }
  }
  if (!has("recommendations")) {
    // A list of steps after the summary is what to do about it.
    const summaryAt = sections.findIndex((section) => section.kind === "summary");
    const steps = sections.find(
      (section, i) =>
        summaryAt >= 0 && i > summaryAt && section.unknown && section.kind === "other" && isList(section),
    );
    if (steps) steps.kind = "recommendations";
  }
}

function textLines(section: Section): string[] {
  const lines = section.body.flatMap((block) => (block.type === "text" ? [block.text] : []));
  return section.rest ? [section.rest, ...lines] : lines;
}

/** A clear 1-10 form: "7/10", "8 out of 10", "80/100", or a line that is just the number ("**6** (High)"). */
function holdsScore(section: Section): boolean {
  return textLines(section).some((line) => {
    const token = numbersIn(line)[0];
    if (!token || token.range) return false;
    if (token.denominator !== null) return true;
    return Number.isInteger(token.value) && token.strong && line.length <= 24 && /^\W{0,4}\d/.test(line);
  });
}

function isList(section: Section): boolean {
  return textLines(section).filter((line) => listMarker(line) !== null).length >= 2;
}

/** Sentences, not a list, a score or stray markup. */
function isProse(section: Section): boolean {
  const lines = textLines(section);
  if (holdsScore(section) || lines.some((line) => listMarker(line) !== null)) return false;
  return lines.some((line) => line.split(" ").filter((word) => /\p{L}{2}/u.test(word)).length >= 3);
}
