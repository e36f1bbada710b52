/**
 * Cuts the answer into sections at ATX and setext headings, bold labels, `Label:` lines and list-item
 * labels. Text before the first section is a preamble and is never read.
 */

import { classifyName, type Kind, type Meaning } from "./classify.js";
import { type Label, parseLabel, splitAtDash } from "./label.js";
import {
  fenceClosers,
  isBreakLine,
  isSetextUnderline,
  listMarker,
  readFence,
  stripClosingHashes,
} from "./markdown.js";
import { indentOf, joinText } from "./text.js";

export type Block =
  | { type: "text"; indent: number; text: string }
  | { type: "blank" }
  | { type: "code"; lines: string[] }
  | { type: "subheading"; text: string };

/**
 * rank orders summaries (lower is better); unknown: a heading whose name says nothing, which infer.ts may
 * still place by what its body holds.
 */
export type Section = {
  kind: Kind;
  rank: number;
  level: number;
  rest: string;
  body: Block[];
  unknown: boolean;
};

type Heading =
  | { kind: Kind; rank: number; level: number; rest: string; unknown: boolean; lines: 1 | 2 }
  | { kind: "sub"; text: string };

const MAIN_KINDS = new Set<string>(["summary", "recommendations", "risk"]);
const BLANK: Block = { type: "blank" };
// Label-style sections (bold or plain) rank below every Markdown heading level.
const LABEL_LEVEL = 7;
const UNRANKED = 9;
// Summary ranks from here on are analyses, explanations and the like (see lexicon.ts).
const WEAK_RANK = 2;

export function splitSections(lines: string[]): Section[] {
  const sections: Section[] = [];
  const closers = fenceClosers(lines);
  let current: Section | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const fence = readFence(line);
    if (fence) {
      const close = closers[fence.char === "`" ? 0 : 1][i + 1] ?? -1;
      // An unclosed fence would swallow the rest of the answer; treat its marker as noise instead.
      if (close < 0) continue;
      current?.body.push({ type: "code", lines: lines.slice(i + 1, close) });
      i = close;
      continue;
    }
    const text = line.trim();
    if (text === "" || isBreakLine(text)) {
      current?.body.push(BLANK);
      continue;
    }
    const heading = detectHeading(line, lines[i + 1], current);
    if (heading?.kind === "sub") {
      current?.body.push({ type: "subheading", text: heading.text });
    } else if (heading) {
      const { kind, rank, level, rest, unknown } = heading;
      current = { kind, rank, level, rest, unknown, body: [] };
      sections.push(current);
      i += heading.lines - 1;
    } else {
      current?.body.push({ type: "text", indent: indentOf(line), text });
    }
  }
  return sections;
}

/** Whether line `i` opens a summary, recommendations or risk section (used to find a wrapping fence). */
export function isMainHeading(lines: string[], i: number): boolean {
  const heading = detectHeading(lines[i] ?? "", lines[i + 1], null);
  return heading !== null && heading.kind !== "sub" && MAIN_KINDS.has(heading.kind);
}

function detectHeading(line: string, next: string | undefined, current: Section | null): Heading | null {
  const indent = indentOf(line);
  if (indent > 3) return null;
  const text = line.trim();
  if (text.startsWith("#")) return atxHeading(text, current);
  const item = listMarker(text);
  if (!item && next !== undefined && isSetextUnderline(next)) {
    const label = headingLabel(text);
    // Any line over "---" is a setext heading to Markdown; a sentence ("Affects version 1.2.") is not one here.
    const sentence = label?.kind === "other" && (label.rest !== "" || /[\d.!?]/.test(text));
    if (label && !label.topic && !sentence) {
      return { ...label, level: next.trim().startsWith("=") ? 1 : 2, unknown: false, lines: 2 };
    }
  }
  if (item) return indent <= 1 ? listLabelHeading(item, current) : null;
  return labelHeading(text, current);
}

function atxHeading(text: string, current: Section | null): Heading | null {
  let hashes = 0;
  while (text[hashes] === "#") hashes++;
  if (hashes > 6) return null;
  const after = text[hashes];
  if (after !== undefined && after !== " " && after !== "\t" && !/[A-Za-z*_]/.test(after)) return null;
  const title = stripClosingHashes(text.slice(hashes)).trim();
  const label = headingLabel(title);
  const deeper = current !== null && current.kind !== "other" && hashes > current.level;
  // "### 1. Upgrade" under "## Recommendations" is one of its steps, not a section of its own.
  const step = label?.kind === "recommendations" && label.step && label.rest === "";
  if (label && !(deeper && step && current?.kind === "recommendations")) {
    return { ...label, level: hashes, unknown: false, lines: 1 };
  }
  // An unclassified deeper heading ("### Longer term") structures the current section; others end it.
  if (deeper) return { kind: "sub", text: title };
  const parsed = parseLabel(title);
  const rest = parsed?.colon ? parsed.rest : "";
  return { kind: "other", rank: UNRANKED, level: hashes, rest, unknown: true, lines: 1 };
}

type Classified = { kind: Kind; rank: number; rest: string; strong: boolean; topic: boolean; step: boolean };

/** A heading's title: "Name - rest", "Name: rest" or a looser name ("Executive summary of the flaw"). */
function headingLabel(title: string): Classified | null {
  const label = parseLabel(title);
  if (!label) return null;
  const split = dashLabel(label);
  if (split) return split;
  const meaning = classifyName(label.name);
  // An extra section needs a clear name ("Affected versions"); a sentence that mentions one is not a heading.
  if (!meaning || (meaning.kind === "other" && !meaning.pure)) return null;
  // Without a separator, trailing text is part of the title ("## Summary (of the flaw)"); a risk heading
  // keeps it because "### Risk Score (8/10)" carries the score.
  const rest = label.colon || meaning.kind === "risk" ? label.rest : "";
  const { kind, rank, strong, topic, step } = meaning;
  return { kind, rank, rest, strong, topic, step };
}

/** "Risk Score - 7/10": a pure name before a spaced dash, its content after it. */
function dashLabel(label: Label): Classified | null {
  const split = splitAtDash(label.name);
  const meaning = split ? classifyName(split.name) : null;
  if (!split || !meaning?.pure) return null;
  const rest = joinText(split.rest, label.rest);
  return { kind: meaning.kind, rank: meaning.rank, rest, strong: meaning.strong, topic: false, step: false };
}

/** `**Summary:** text`, `Summary:`, `Risk Score: 7`, a bold title line, or a bare section name. */
function labelHeading(text: string, current: Section | null): Heading | null {
  const label = parseLabel(text);
  if (!label || !(label.emphasised || label.colon || label.rest === "")) return null;
  const split = dashLabel(label);
  let found: Classified | null = split?.kind === "risk" ? split : null;
  if (!found) {
    const meaning = classifyName(label.name);
    // A plain line is prose unless its name is pure; a bold title line may use a looser name.
    const loose =
      label.emphasised && label.rest === "" && meaning !== null && !meaning.topic && meaning.kind !== "other";
    const bare = !label.emphasised && !label.colon;
    if (!meaning || !(meaning.pure || loose) || (bare && !isBareName(label.name, meaning))) return null;
    // "Upgrade: to 1.2.13" leads into a sentence; a verb names a section only on a line of its own.
    if (meaning.step && label.rest !== "") return null;
    found = { ...meaning, rest: label.rest };
  }
  // The same label inside its own section ("Score: 8" under "Risk Score") is content, except a summary of
  // another strength ("Analysis:" under "Summary", or the reverse), which is a part of its own.
  const apart = found.kind === "summary" && isWeak(found.rank) !== isWeak(current?.rank ?? 0);
  if (current && found.kind === current.kind && found.kind !== "other" && !apart) return null;
  return {
    kind: found.kind,
    rank: found.rank,
    level: LABEL_LEVEL,
    rest: found.rest,
    unknown: false,
    lines: 1,
  };
}

function isWeak(rank: number): boolean {
  return rank >= WEAK_RANK;
}

/** A line that is nothing but a name ("Recommendations", "Next steps"), not a short sentence. */
function isBareName(name: string, meaning: Meaning): boolean {
  return !meaning.question && !/\d|[.!?,;]$/.test(name) && name.split(" ").length <= 4;
}

/**
 * `1. **Summary**` or `- **Risk Score:** 8`: only a strong, pure name of a main section, and never the kind we
 * are already in — "- **Fix**: …" or "2. **Risk**: …" are usually items.
 */
function listLabelHeading(item: { content: string }, current: Section | null): Heading | null {
  const label = parseLabel(item.content);
  if (!label || !(label.emphasised || label.rest === "")) return null;
  const meaning = classifyName(label.name);
  if (!meaning?.pure || !meaning.strong || meaning.kind === "other") return null;
  if (meaning.question && !label.emphasised) return null;
  const kind = meaning.kind;
  if (current?.kind === kind || (current?.kind === "recommendations" && kind === "summary")) return null;
  return { kind, rank: meaning.rank, level: LABEL_LEVEL, rest: label.rest, unknown: false, lines: 1 };
}
