/**
 * Which family a section name belongs to, read from its words rather than looked up in a list of names.
 *
 * The name is normalised (numbering, emoji, punctuation and emphasis go) and cut to its head phrase: before
 * a preposition ("Summary of the flaw") and before a conjunction ("Remediation and mitigation"). Its head
 * is the last word with a known root, as in English noun phrases ("Vulnerability summary", "Threat level");
 * a scale or generic head ("level", "assessment") takes the family of the word it qualifies.
 */

import {
  CONJUNCTIONS,
  type Family,
  INTERROGATIVES,
  isConnector,
  isQualifier,
  METRIC_QUALIFIERS,
  PREPOSITIONS,
  type Root,
  rootOf,
} from "./lexicon.js";

export type Kind = "summary" | "recommendations" | "risk" | "other";

/**
 * rank: for summaries, lower is a better match. strong: names a section even as a list label ("Risk score",
 * "Remediation"), where a weak one ("Fix", "Risk") is more often an item's lead-in. pure: made only of known
 * words, short, and not a bare topic — the bar for plain `Name:` lines, which are otherwise prose. topic: only
 * names the finding ("The vulnerability"), a summary only when it is a real heading. step: its head is a verb
 * of doing ("Upgrade"), the title of one step when it sits under a recommendations section.
 */
export type Meaning = {
  kind: Kind;
  rank: number;
  strong: boolean;
  pure: boolean;
  question: boolean;
  topic: boolean;
  step: boolean;
};

const MAX_WORDS_PURE = 6;
const DETERMINERS = new Set(["the", "an", "my", "our", "your"]);

/** Lower-case words of a name, without numbering, versions, emoji or punctuation ("TL;DR" is "tldr"). */
function nameWords(name: string): string[] {
  const text = name
    .toLowerCase()
    .replace(/['’‘`]/g, "")
    .replace(/(\p{L})[.;](?=\p{L})/gu, "$1")
    .replace(/\bto[\s-]+do\b/g, "todo")
    .replace(/[^\p{L}\p{N}]+/gu, " ");
  // One-letter words are list letters, roman numerals or articles; words with digits are numbering.
  return text.split(" ").filter((word) => word.length > 1 && !/\d/.test(word));
}

export function classifyName(name: string): Meaning | null {
  // A counted name ("Step 1", "Option 2") is an item of a list, not a section.
  if (/(?:^|\s)\d+(?:\s|$)/.test(name)) return null;
  const words = nameWords(name);
  const first = words[0];
  if (first === undefined) return null;
  const question = INTERROGATIVES.has(first);
  // A pure name starts with its words or an article, not a preposition: "To remediate this finding:" is an
  // intro, "The gist:" a name.
  const known =
    (question || !isConnector(first) || DETERMINERS.has(first)) &&
    words.every((word) => rootOf(word) !== null || isQualifier(word) || isConnector(word));
  const span = question ? words : headPhrase(words);
  const roots = span.map(rootOf);
  const found = headFamily(span, roots);
  let family: Family | null = found?.family ?? null;
  let topicOnly = false;
  if (family === null || family === "topic") {
    if (question) family = first === "what" || first === "whats" || first === "how" ? "summary" : "other";
    else if (roots.some((root) => root?.family === "topic")) [family, topicOnly] = ["summary", true];
    else return null;
  }
  // "Severity score", "CVSS rating": about the advisory's metric, whatever the head.
  if (roots.some((root) => root?.family === "other" && root.strong)) family = "other";
  const kind: Kind = family;
  const same = roots.filter((root): root is Root => root !== null && root.family === family);
  const rank = same.length > 0 && !topicOnly ? Math.min(...same.map((root) => root.rank)) : 2;
  const strong =
    question ||
    same.some((root) => root.strong) ||
    (kind === "risk" && span.filter((word) => !isConnector(word)).length >= 2);
  const pure = known && !topicOnly && words.length <= MAX_WORDS_PURE;
  const step = !strong && found !== null && "step" in found && found.step === true;
  return { kind, rank, strong, pure, question, topic: topicOnly, step };
}

/** Words before the first preposition, then before the first conjunction (never cutting to nothing). */
function headPhrase(words: string[]): string[] {
  let span = words;
  for (const stops of [PREPOSITIONS, CONJUNCTIONS]) {
    const at = span.findIndex((word, i) => i > 0 && stops.has(word));
    if (at > 0) span = span.slice(0, at);
  }
  return span;
}

function headFamily(span: string[], roots: (Root | null)[]): Root | { family: Family } | null {
  for (let i = span.length - 1; i >= 0; i--) {
    const root = roots[i];
    if (!root || root.family === "topic") continue;
    if (root.role === "head") return root;
    // A scale or generic head: the nearest head or scale before it decides ("Score justification"), or a
    // metric qualifier ("Base score").
    for (let j = i - 1; j >= 0; j--) {
      if (METRIC_QUALIFIERS.has(span[j] ?? "")) return { family: "other" };
      const before = roots[j];
      if (before && before.family !== "topic" && before.role !== "generic") return before;
    }
    return root;
  }
  return null;
}
