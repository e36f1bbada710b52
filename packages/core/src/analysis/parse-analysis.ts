/**
 * Turns a local model's Markdown answer ("Summary", "Recommendations", "Risk Score") into a structured
 * analysis. Pure and dependency-free.
 *
 * Everything is line- or character-based with bounded look-around, so the work is linear in the input
 * even for hostile answers: no regex here has adjacent or nested unbounded quantifiers.
 */

export type ParsedAnalysis = { summary: string; recommendations: string[]; riskScore: number };

export type AnalysisParseErrorCode = "empty" | "no_summary" | "no_risk_score" | "invalid_risk_score";

const MESSAGES: Record<AnalysisParseErrorCode, string> = {
  empty: "the answer is empty once reasoning blocks and special tokens are removed",
  no_summary: "the answer has no Summary section with text in it",
  no_risk_score: "the answer has no Risk Score section with an integer from 1 to 10",
  invalid_risk_score: "the answer's risk score is not an integer from 1 to 10",
};

export class AnalysisParseError extends Error {
  readonly code: AnalysisParseErrorCode;

  constructor(code: AnalysisParseErrorCode, detail?: string) {
    super(detail ? `${MESSAGES[code]} (${detail})` : MESSAGES[code]);
    this.name = "AnalysisParseError";
    this.code = code;
  }
}

/** @throws AnalysisParseError; there is deliberately no fallback score. */
export function parseAnalysis(raw: string): ParsedAnalysis {
  const lines = prepareLines(raw);
  if (!lines.some((line) => line.trim() !== "")) throw new AnalysisParseError("empty");
  const sections = splitSections(lines);
  const summary = pickSummary(sections);
  if (summary === "") throw new AnalysisParseError("no_summary");
  const recommendations = sections
    .filter((section) => section.kind === "recommendations")
    .flatMap(renderRecommendations);
  return { summary, recommendations, riskScore: pickRiskScore(sections) };
}

// ---------------------------------------------------------------------------------------------------------
// Normalisation

// Zero-width and BiDi controls can hide or reorder text (Trojan Source style); a BOM breaks heading detection.
const INVISIBLE = /[\u200B-\u200D\u200E\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/g;
const REASONING_TAG = /<(\/?)(?:thinking|think|reasoning|reason|thought)\s*>/gi;
// Chat-template tokens (llama3, qwen/ChatML, phi3, gemma, mistral, deepseek's full-width bars).
const SPECIAL_TOKEN =
  /<\|[^|<>\s]{1,40}\|>|<｜[^｜<>\s]{1,40}｜>|<\/?s>|<(?:start|end)_of_turn>|\[\/?INST\]/g;
const MARKDOWN_INFO = new Set(["", "markdown", "md", "text", "txt", "plaintext", "plain"]);

function prepareLines(raw: string): string[] {
  let text = raw.replace(INVISIBLE, "").replace(/\r\n?/g, "\n");
  text = cutAtSpecialToken(stripReasoning(text));
  return dropSignOff(unwrapFence(text.split("\n")));
}

/** Removes `<think>…</think>`; a lone `</think>` means the template pre-filled the opener. */
function stripReasoning(text: string): string {
  let out = "";
  let last = 0;
  let inside = false;
  for (const match of text.matchAll(REASONING_TAG)) {
    const closing = match[1] === "/";
    const index = match.index ?? 0;
    if (!inside && closing) {
      out = "";
      last = index + match[0].length;
    } else if (!inside) {
      out += text.slice(last, index);
      inside = true;
    } else if (closing) {
      inside = false;
      last = index + match[0].length;
    }
  }
  // An unclosed block is reasoning up to the end (the model ran out of tokens while thinking).
  return inside ? out : out + text.slice(last);
}

const ROLE = /^(?:assistant|model|user|system)$/i;

/**
 * Leading tokens (and the role name between them, `<|start_header_id|>assistant<|end_header_id|>`) are
 * dropped; the first token after real content ends the answer, cutting off run-on turns.
 */
function cutAtSpecialToken(text: string): string {
  let start = 0;
  let leading = false;
  for (const match of text.matchAll(SPECIAL_TOKEN)) {
    const index = match.index ?? 0;
    const before = text.slice(start, index).trim();
    if (before !== "" && !ROLE.test(before)) return text.slice(start, index);
    start = index + match[0].length;
    leading = true;
  }
  const rest = text.slice(start);
  return leading ? rest.replace(/^\s*(?:assistant|model)[ \t]*(?=\n|$)/i, "") : rest;
}

/** Drops the fence that wraps the whole answer, or the sections between a preamble and a sign-off. */
function unwrapFence(lines: string[]): string[] {
  const open = lines.findIndex((line) => readFence(line) !== null);
  const fence = open >= 0 ? readFence(lines[open] ?? "") : null;
  if (!fence || !MARKDOWN_INFO.has(fence.info.toLowerCase())) return lines;
  for (let i = 0; i < open; i++) if (isMainHeading(lines, i)) return lines;
  let first = -1;
  for (let i = open + 1; i < lines.length && first < 0; i++) {
    if (readFence(lines[i] ?? "")) return lines; // an ordinary code block comes first
    if (isMainHeading(lines, i)) first = i;
  }
  if (first < 0) return lines;
  let close = -1;
  for (let i = lines.length - 1; i > first && close < 0; i--) {
    const candidate = readFence(lines[i] ?? "");
    if (candidate && candidate.info === "" && candidate.char === fence.char) close = i;
  }
  // A missing closer means a truncated answer: drop the opener alone.
  return lines.filter((_, i) => i !== open && i !== close);
}

function isMainHeading(lines: string[], i: number): boolean {
  const heading = detectHeading(lines[i] ?? "", lines[i + 1], null);
  return heading !== null && heading.kind !== "sub" && MAIN_KINDS.has(heading.kind);
}

const SIGN_OFF =
  /^(?:let me know|i hope|hope (?:this|that|it)|feel free|please (?:let me know|note|feel free|reach out)|if you (?:have|need|would|want)|note:|note that|disclaimer|i can (?:also )?help|would you like|happy to help|good luck|stay safe)/i;

/** Closing chatter ("Let me know if…", "(Note: …)") would otherwise become a list continuation. */
function dropSignOff(lines: string[]): string[] {
  let end = lines.length;
  for (let round = 0; round < 4; round++) {
    while (end > 0 && (lines[end - 1] ?? "").trim() === "") end--;
    if (end === 0) break;
    let start = end - 1;
    while (start > 0 && (lines[start - 1] ?? "").trim() !== "") start--;
    if (isSignOff(lines[start] ?? "")) end = start;
    else if (isSignOff(lines[end - 1] ?? "")) end -= 1;
    else break;
  }
  return lines.slice(0, end);
}

function isSignOff(line: string): boolean {
  let i = 0;
  while (i < line.length && " \t(*_>".includes(line[i] ?? "")) i++;
  return SIGN_OFF.test(line.slice(i, i + 40));
}

// ---------------------------------------------------------------------------------------------------------
// Sections

type Kind = "summary" | "recommendations" | "risk" | "other";

type Block =
  | { type: "text"; indent: number; text: string }
  | { type: "blank" }
  | { type: "code"; lines: string[] }
  | { type: "subheading"; text: string };

type Section = { kind: Kind; name: string; level: number; rest: string; body: Block[] };

type Heading =
  | { kind: Kind; name: string; level: number; rest: string; lines: 1 | 2 }
  | { kind: "sub"; text: string };

const MAIN_KINDS = new Set<string>(["summary", "recommendations", "risk"]);
const BLANK: Block = { type: "blank" };
// Label-style sections (bold or plain) rank below every Markdown heading level.
const LABEL_LEVEL = 7;

function splitSections(lines: string[]): Section[] {
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

/** For each line index, the next bare closing fence of each kind (backtick, tilde), or -1. */
function fenceClosers(lines: string[]): [number[], number[]] {
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

function readFence(line: string): { char: "`" | "~"; info: string } | null {
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
  let kind = KNOWN_NAMES.get(name) ?? null;
  let rest = label.rest;
  let separated = label.colon;
  if (!kind) {
    const split = splitAtDash(label.name);
    const splitKind = split ? KNOWN_NAMES.get(normaliseName(split.name)) : undefined;
    if (split && splitKind) {
      kind = splitKind;
      name = normaliseName(split.name);
      rest = joinText(split.rest, rest);
      separated = true;
    }
  }
  kind ??= fuzzyKind(name);
  if (!kind) return null;
  // Without a separator, trailing text is part of the title ("## Summary (zlib)"); a risk heading keeps it
  // because "### Risk Score (8/10)" carries the score.
  return { kind, name, rest: separated || kind === "risk" ? rest : "" };
}

/** `**Summary:** text`, `Summary:`, `Risk Score: 7`, a bold title line, or a bare known name. */
function labelHeading(text: string, current: Section | null): Heading | null {
  const label = parseLabel(text);
  if (!label || !(label.emphasised || label.colon || label.rest === "")) return null;
  let name = normaliseName(label.name);
  let kind = KNOWN_NAMES.get(name) ?? null;
  let rest = label.rest;
  if (!kind) {
    const split = splitAtDash(label.name);
    if (split && KNOWN_NAMES.get(normaliseName(split.name)) === "risk") {
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
  const kind = KNOWN_NAMES.get(name);
  if (!kind || !MAIN_KINDS.has(kind) || GENERIC_LIST_LABELS.has(name)) return null;
  if (current?.kind === kind || (current?.kind === "recommendations" && kind === "summary")) return null;
  return { kind, name, level: LABEL_LEVEL, rest: label.rest, lines: 1 };
}

type Label = { name: string; rest: string; emphasised: boolean; colon: boolean };

const NAME_STOP = new Set([":", "*", "_", "(", "["]);
const MAX_NAME = 80;

/** Splits `[**][1. ]Name[ (…)][**][:][**] rest` without regexes (lines can be huge and hostile). */
function parseLabel(text: string): Label | null {
  const mark = text[0] === "*" || text[0] === "_" ? text[0] : "";
  let p = 0;
  while (mark && text[p] === mark && p < 4) p++;
  if (p > 3) return null;
  const closer = mark.repeat(p);
  p = skipNumbering(text, skipSpaces(text, p));
  const start = p;
  while (p < text.length && p - start <= MAX_NAME && !NAME_STOP.has(text[p] ?? "")) p++;
  if (p - start > MAX_NAME) return null;
  const name = text.slice(start, p).trim();
  if (name === "") return null;
  p = skipLabelParenthetical(text, p, closer);
  let q = skipSpaces(text, p);
  let closed = false;
  let colon = false;
  if (closer && text.startsWith(closer, q)) {
    closed = true;
    q = skipSpaces(text, q + closer.length);
  }
  if (text[q] === ":") {
    colon = true;
    q++;
    if (closer && !closed && text.startsWith(closer, q)) {
      closed = true;
      q += closer.length;
    }
  }
  let rest = text.slice(q).trim();
  if (closer && !closed) {
    // "**Risk Score: 8/10**" puts the content inside the emphasis.
    if (!rest.endsWith(closer)) return null;
    rest = rest.slice(0, rest.length - closer.length).trim();
    closed = true;
  }
  if (rest.startsWith("- ") || rest.startsWith("– ") || rest.startsWith("— ")) rest = rest.slice(2).trim();
  return { name, rest, emphasised: closed, colon };
}

/** "Risk Score (1-10):" — a parenthetical right before the colon or closer belongs to the label. */
function skipLabelParenthetical(text: string, p: number, closer: string): number {
  const q = skipSpaces(text, p);
  const open = text[q];
  if (open !== "(" && open !== "[") return p;
  const close = text.indexOf(open === "(" ? ")" : "]", q);
  if (close < 0 || close - q > 40) return p;
  const after = skipSpaces(text, close + 1);
  return text[after] === ":" || (closer !== "" && text.startsWith(closer, after)) ? close + 1 : p;
}

function splitAtDash(name: string): { name: string; rest: string } | null {
  for (const dash of [" - ", " – ", " — "]) {
    const at = name.indexOf(dash);
    if (at > 0) return { name: name.slice(0, at), rest: name.slice(at + dash.length).trim() };
  }
  return null;
}

function normaliseName(name: string): string {
  return name
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/[.:]+$/, "")
    .trim();
}

const NAMES: Record<Kind, string[]> = {
  summary: [
    "summary",
    "overview",
    "description",
    "executive summary",
    "vulnerability summary",
    "vulnerability overview",
    "vulnerability description",
    "brief summary",
    "short summary",
    "summary of the vulnerability",
    "tl;dr",
    "tldr",
  ],
  recommendations: [
    "recommendations",
    "recommendation",
    "recommended actions",
    "recommended action",
    "recommended steps",
    "recommended fixes",
    "recommended remediation",
    "remediation",
    "remediations",
    "remediation steps",
    "remediation recommendations",
    "remediation plan",
    "mitigation",
    "mitigations",
    "mitigation steps",
    "mitigation strategies",
    "remediation and mitigation",
    "remediation & mitigation",
    "mitigation and remediation",
    "fix",
    "fixes",
    "how to fix",
    "suggested fixes",
    "action items",
    "next steps",
  ],
  risk: [
    "risk score",
    "risk rating",
    "risk assessment",
    "risk",
    "score",
    "risk level",
    "overall risk",
    "overall risk score",
    "overall score",
    "final risk score",
  ],
  // Known extra sections: they end the section above them and are never used.
  other: [
    "impact",
    "potential impact",
    "business impact",
    "references",
    "reference",
    "links",
    "sources",
    "affected versions",
    "affected version",
    "affected packages",
    "affected package",
    "affected components",
    "affected software",
    "fixed version",
    "fixed versions",
    "details",
    "vulnerability details",
    "technical details",
    "notes",
    "note",
    "additional notes",
    "additional information",
    "additional context",
    "context",
    "background",
    "cvss",
    "cvss score",
    "cvss v3",
    "cvss v3 score",
    "cvss v3.1",
    "cvss v3.1 score",
    "severity",
    "exploitability",
    "attack vector",
    "root cause",
    "conclusion",
    "justification",
    "rationale",
    "explanation",
    "analysis",
    "vulnerability analysis",
    "disclaimer",
    "cve",
    "cwe",
  ],
};

const KNOWN_NAMES = new Map<string, Kind>(
  (Object.keys(NAMES) as Kind[]).flatMap((kind) => NAMES[kind].map((name) => [name, kind] as const)),
);

/** Looser matching, only for real headings and bold title lines. */
function fuzzyKind(name: string): Kind | null {
  if (name.length > MAX_NAME) return null;
  if (/cvss|severity/.test(name)) return "other";
  if (/\bsummary\b|^overview\b|^description\b|\boverview$/.test(name)) return "summary";
  if (/recommend|remediat|mitigat/.test(name)) return "recommendations";
  if (/\brisk (?:score|rating|level|assessment)\b|^(?:overall |final )?score\b/.test(name)) return "risk";
  return null;
}

function stripClosingHashes(title: string): string {
  let end = title.length;
  while (end > 0 && (title[end - 1] === " " || title[end - 1] === "\t")) end--;
  let start = end;
  while (start > 0 && title[start - 1] === "#") start--;
  if (start === end) return title;
  if (start === 0 || title[start - 1] === " " || title[start - 1] === "\t") return title.slice(0, start);
  return title;
}

function skipNumbering(text: string, p: number): number {
  let q = p;
  while (q - p < 2 && isDigit(text, q)) q++;
  if (q === p || (text[q] !== "." && text[q] !== ")") || text[q + 1] !== " ") return p;
  return skipSpaces(text, q + 1);
}

function skipSpaces(text: string, p: number): number {
  let q = p;
  while (text[q] === " " || text[q] === "\t") q++;
  return q;
}

function indentOf(line: string): number {
  let width = 0;
  for (const char of line) {
    if (char === " ") width += 1;
    else if (char === "\t") width += 4;
    else break;
  }
  return width;
}

/** `---`, `***`, `___`, `* * *`, and `===` left over from an unrecognised setext heading. */
function isBreakLine(text: string): boolean {
  const first = text[0];
  if (first !== "-" && first !== "*" && first !== "_" && first !== "=") return false;
  let count = 0;
  for (const char of text) {
    if (char === first) count++;
    else if (char !== " " && char !== "\t") return false;
  }
  return count >= 3;
}

function isSetextUnderline(line: string): boolean {
  if (indentOf(line) > 3) return false;
  const text = line.trim();
  const first = text[0];
  if ((first !== "=" && first !== "-") || text.length < 2) return false;
  for (const char of text) if (char !== first) return false;
  return true;
}

/** `- `, `* `, `+ `, `• `, `1. ` or `1) ` (up to three digits, so "2023. …" stays text). */
function listMarker(text: string): { content: string } | null {
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

// ---------------------------------------------------------------------------------------------------------
// Summary and recommendations

function pickSummary(sections: Section[]): string {
  let best = "";
  let bestRank = 2;
  for (const section of sections) {
    if (section.kind !== "summary") continue;
    const text = renderSummary(section);
    // A section actually called "Summary" beats Overview/Description when an answer has both.
    const rank = section.name.includes("summary") ? 0 : 1;
    if (text !== "" && rank < bestRank) {
      best = text;
      bestRank = rank;
    }
  }
  return best;
}

function renderSummary(section: Section): string {
  const paragraphs: string[] = [];
  let lines: string[] = section.rest ? [section.rest] : [];
  const flush = () => {
    if (lines.length > 0) paragraphs.push(lines.join(" "));
    lines = [];
  };
  for (const block of section.body) {
    if (block.type === "text") {
      lines.push(block.text);
    } else {
      flush();
      const code = block.type === "code" ? codeText(block.lines) : "";
      if (code) paragraphs.push(code);
    }
  }
  flush();
  return paragraphs.join("\n\n").trim();
}

function renderRecommendations(section: Section): string[] {
  const blocks: Block[] = section.rest
    ? [{ type: "text", indent: 0, text: section.rest }, ...section.body]
    : section.body;
  const hasList = blocks.some((block) => block.type === "text" && listMarker(block.text) !== null);
  return hasList ? listEntries(blocks) : paragraphEntries(blocks);
}

type Item = { parts: string[]; subs: string[][] };

/** One entry per top-level item; continuations join with a space, nested items with "; ". */
function listEntries(blocks: Block[]): string[] {
  const items: Item[] = [];
  let base = -1;
  let item: Item | null = null;
  let sub: { parts: string[]; indent: number } | null = null;
  let afterBlank = false;
  for (const block of blocks) {
    if (block.type === "blank" || block.type === "subheading") {
      if (block.type === "subheading") item = sub = null;
      afterBlank = true;
      continue;
    }
    if (block.type === "code") {
      // Commands in fences belong to the item above them, indented or not.
      const code = codeText(block.lines);
      if (code) (sub?.parts ?? item?.parts)?.push(code);
      afterBlank = true;
      continue;
    }
    const marker = listMarker(block.text);
    if (marker) {
      if (base < 0 || block.indent < base) base = block.indent;
      if (item && block.indent >= base + 2) {
        sub = { parts: [marker.content], indent: block.indent };
        item.subs.push(sub.parts);
      } else {
        item = { parts: [marker.content], subs: [] };
        items.push(item);
        sub = null;
      }
    } else if (item && (!afterBlank || block.indent >= base + 2)) {
      if (sub && (!afterBlank || block.indent >= sub.indent + 2)) {
        sub.parts.push(block.text);
      } else {
        sub = null;
        item.parts.push(block.text);
      }
    } else {
      // Text outside the list (an intro or a closing remark) is not a recommendation.
      item = sub = null;
    }
    afterBlank = false;
  }
  return items
    .map((entry) =>
      [joinParts(entry.parts), ...entry.subs.map(joinParts)].filter((part) => part !== "").join("; "),
    )
    .filter((entry) => entry !== "");
}

/** Without a list each paragraph is an entry; a sub-heading starts an entry that absorbs its paragraphs. */
function paragraphEntries(blocks: Block[]): string[] {
  const groups: string[][] = [];
  let open = false;
  let grouped = false;
  for (const block of blocks) {
    const last = groups[groups.length - 1];
    if (block.type === "subheading") {
      groups.push([block.text]);
      open = grouped = true;
    } else if (block.type === "blank") {
      if (!grouped) open = false;
    } else if (block.type === "code") {
      // A command block belongs to the paragraph above it, even after a blank line.
      const code = codeText(block.lines);
      if (code && last) last.push(code);
      else if (code) groups.push([code]);
    } else if (open && last) {
      last.push(block.text);
    } else {
      groups.push([block.text]);
      open = true;
    }
  }
  return groups.map(joinParts).filter((entry) => entry !== "");
}

function joinParts(parts: string[]): string {
  return parts
    .filter((part) => part !== "")
    .join(" ")
    .trim();
}

function joinText(a: string, b: string): string {
  return a && b ? `${a} ${b}` : a || b;
}

/** A fenced block becomes inline code, one span per line, so it survives as single-line text. */
function codeText(lines: string[]): string {
  return lines
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => (line.includes("`") ? `\`\` ${line} \`\`` : `\`${line}\``))
    .join(" ");
}

// ---------------------------------------------------------------------------------------------------------
// Risk score

type NumberToken = {
  raw: string;
  value: number;
  denominator: number | null;
  range: boolean;
  negative: boolean;
  strong: boolean;
};

type Candidate = { token: NumberToken; strong: boolean };

/**
 * Only risk sections are searched. In each: the label's own line first, then the first "strong" number
 * (at the start of a line, bold, followed by /10, /100 or "out of 10", or right after "score"/"rating"),
 * then any plausible 1-10 integer. Strong candidates from different sections must agree.
 */
function pickRiskScore(sections: Section[]): number {
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

/** Numbers in one line that could be a score; CVE ids, versions, CVSS values, years and percentages are skipped. */
function numbersIn(line: string): NumberToken[] {
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

function isDigit(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  return code >= 48 && code <= 57;
}

function skipDigits(text: string, i: number): number {
  let q = i;
  while (isDigit(text, q)) q++;
  return q;
}

function isLetter(char: string | undefined): boolean {
  return char !== undefined && /\p{L}/u.test(char);
}

function isAlnum(char: string | undefined): boolean {
  return char !== undefined && /[\p{L}\p{N}]/u.test(char);
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
