/**
 * Cuts the answer into sections at ATX and setext headings, bold labels, `Label:` lines and list-item
 * labels. Text before the first section is a preamble and is never read.
 */

import { fuzzyKind, type Kind, knownKind, normaliseName } from "./classify.js";
import { parseLabel, splitAtDash } from "./label.js";
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

export type Section = { kind: Kind; name: string; level: number; rest: string; body: Block[] };

type Heading =
  | { kind: Kind; name: string; level: number; rest: string; lines: 1 | 2 }
  | { kind: "sub"; text: string };

const MAIN_KINDS = new Set<string>(["summary", "recommendations", "risk"]);
const BLANK: Block = { type: "blank" };
// Label-style sections (bold or plain) rank below every Markdown heading level.
const LABEL_LEVEL = 7;

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
      current = {
        kind: heading.kind,
        name: heading.name,
        level: heading.level,
        rest: heading.rest,
        body: [],
      };
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
    const label = strongLabel(text);
    if (label) return { ...label, level: next.trim().startsWith("=") ? 1 : 2, lines: 2 };
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
  const label = strongLabel(title);
  if (label) return { ...label, level: hashes, lines: 1 };
  // An unknown deeper heading ("### Immediate actions") structures the current section; others end it.
  if (current && current.kind !== "other" && hashes > current.level) return { kind: "sub", text: title };
  return { kind: "other", name: title.toLowerCase(), level: hashes, rest: "", lines: 1 };
}

/** A Markdown heading's title: known names, "Name - rest" and looser names ("Executive Summary of …"). */
function strongLabel(title: string): { kind: Kind; name: string; rest: string } | null {
  const label = parseLabel(title);
  if (!label) return null;
  let name = normaliseName(label.name);
  let kind = knownKind(name);
  let rest = label.rest;
  let separated = label.colon;
  if (!kind) {
    const split = splitAtDash(label.name);
    const splitKind = split ? knownKind(normaliseName(split.name)) : null;
    if (split && splitKind) {
      kind = splitKind;
      name = normaliseName(split.name);
      rest = joinText(split.rest, rest);
      separated = true;
    }
  }
  kind ??= fuzzyKind(name);
  if (!kind) return null;
  // Without a separator, trailing text is part of the title ("## Summary (of the flaw)"); a risk heading
  // keeps it because "### Risk Score (8/10)" carries the score.
  return { kind, name, rest: separated || kind === "risk" ? rest : "" };
}

/** `**Summary:** text`, `Summary:`, `Risk Score: 7`, a bold title line, or a bare known name. */
function labelHeading(text: string, current: Section | null): Heading | null {
  const label = parseLabel(text);
  if (!label || !(label.emphasised || label.colon || label.rest === "")) return null;
  let name = normaliseName(label.name);
  let kind = knownKind(name);
  let rest = label.rest;
  if (!kind) {
    const split = splitAtDash(label.name);
    if (split && knownKind(normaliseName(split.name)) === "risk") {
      kind = "risk";
      name = normaliseName(split.name);
      rest = joinText(split.rest, rest);
    }
  }
  if (!kind && label.emphasised && label.rest === "") kind = fuzzyKind(name);
  if (!kind) return null;
  // The same label inside its own section ("Score: 8" under "Risk Score") is content.
  if (current && kind === current.kind && kind !== "other") return null;
  return { kind, name, level: LABEL_LEVEL, rest, lines: 1 };
}

// Too generic to end a list on their own: "- **Fix**: …" or "2. **Risk**: …" are usually items.
const GENERIC_LIST_LABELS = new Set([
  "risk",
  "score",
  "fix",
  "fixes",
  "actions",
  "next steps",
  "action items",
]);

/** `1. **Summary**` or `- **Risk Score:** 8`: only main sections, and never the kind we are already in. */
function listLabelHeading(item: { content: string }, current: Section | null): Heading | null {
  const label = parseLabel(item.content);
  if (!label || !(label.emphasised || label.rest === "")) return null;
  const name = normaliseName(label.name);
  const kind = knownKind(name);
  if (!kind || !MAIN_KINDS.has(kind) || GENERIC_LIST_LABELS.has(name)) return null;
  if (current?.kind === kind || (current?.kind === "recommendations" && kind === "summary")) return null;
  return { kind, name, level: LABEL_LEVEL, rest: label.rest, lines: 1 };
}
