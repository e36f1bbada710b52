import { readdirSync, readFileSync } from "node:fs";
import { seededRandom } from "@vulntriage/test-utils";
import { describe, expect, it } from "vitest";
import type { ParsedAnalysis } from "../../src/analysis/parse-analysis.js";
import { AnalysisParseError, parseAnalysis } from "../../src/analysis/parse-analysis.js";

// Answers put together at random from heading synonyms, heading styles, list markers, score forms, decoys
// and section orders. The word lists live only here: many of their words appear nowhere in the parser,
// which has to understand them from roots, grammar and structure.

const SEED = 0x7e57_2024;
const CASES = 600;
const NEGATIVE_CASES = 200;

// `loose`: understood as a real heading (## …, setext, a bold title line), not as a plain `Name:` line.
type Phrase = { text: string; loose?: true };

const SUMMARY: Phrase[] = [
  { text: "Summary" },
  { text: "Executive summary" },
  { text: "Summarised findings" },
  { text: "Summarization" },
  { text: "Synopsis" },
  { text: "Quick synopsis" },
  { text: "Concise synopsis", loose: true },
  { text: "Gist" },
  { text: "The gist" },
  { text: "TL;DR" },
  { text: "Overview" },
  { text: "Brief overview" },
  { text: "Description" },
  { text: "Descriptive overview" },
  { text: "Recap" },
  { text: "Abstract" },
  { text: "In a nutshell", loose: true },
  { text: "What's going on" },
  { text: "What is this" },
  { text: "What happened" },
  { text: "Plain-language synopsis", loose: true },
  { text: "Elevator-pitch summary", loose: true },
];

const ACTION: Phrase[] = [
  { text: "Recommendations" },
  { text: "Recommended actions" },
  { text: "Remediation" },
  { text: "Remediation roadmap" },
  { text: "Remedies" },
  { text: "Proposed remediations" },
  { text: "Mitigation" },
  { text: "Mitigating controls" },
  { text: "Fix" },
  { text: "Fix it" },
  { text: "How to fix" },
  { text: "Next steps" },
  { text: "Action plan" },
  { text: "Actionable items" },
  { text: "To-do" },
  { text: "Hardening steps" },
  { text: "Workarounds" },
  { text: "Resolution" },
  { text: "Patching guidance" },
  { text: "What to do" },
  { text: "Suggested changes" },
  { text: "Countermeasures" },
  { text: "Corrective measures" },
  { text: "Defensive measures" },
  { text: "Recommended course of action", loose: true },
  { text: "Concrete remediation checklist", loose: true },
  { text: "Things worth doing now", loose: true },
];

const RISK: Phrase[] = [
  { text: "Risk score" },
  { text: "Risk rating" },
  { text: "Risk level" },
  { text: "Risk" },
  { text: "Score" },
  { text: "Overall score" },
  { text: "Priority" },
  { text: "Prioritisation" },
  { text: "Prioritization score" },
  { text: "Criticality" },
  { text: "Urgency" },
  { text: "Urgency (1-10)" },
  { text: "Threat level" },
  { text: "Threat ranking" },
  { text: "Danger rating" },
  { text: "Seriousness" },
  { text: "Verdict" },
  { text: "Final verdict" },
  { text: "How bad is it" },
  { text: "How urgent is this" },
  { text: "Gut-check priority", loose: true },
  { text: "Triage-worthiness rating", loose: true },
];

const STYLES = ["atx2", "atx3", "setext", "bold", "boldColon", "plainColon", "numbered", "emoji"] as const;
type Style = (typeof STYLES)[number];
const LOOSE_STYLES: Style[] = ["atx2", "atx3", "setext", "bold", "numbered", "emoji"];
const EMOJI = ["📝", "🔧", "🚨", "✅", "⚠️", "🛠️", "📌"];

const SENTENCES = [
  "The `libsample` package (1.2.3) in this image is affected by CVE-2023-1234, a heap overflow in its decoder.",
  "A crafted file makes the decoder write past the end of a buffer, which can crash the service.",
  "Version 3 of the advisory says that releases before v2.4.0 are affected.",
  "Only services that decode untrusted input reach the vulnerable code path.",
  "The fix landed in 1.2.4, released together with CVE-2023-1235 in the same advisory.",
];
const STEPS = [
  "Upgrade `libsample` to 1.2.4 or later.",
  "Rebuild the image from a patched base image.",
  "Reject oversized input before it reaches the decoder.",
  "Run the service as an unprivileged user.",
  "Rescan the image after the rebuild.",
];
const MARKERS = ["-", "*", "+", "1.", "1)"] as const;

type Random = () => number;
const pick = <T>(rnd: Random, items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
const chance = (rnd: Random, p: number) => rnd() < p;

function heading(style: Style, text: string, index: number, rnd: Random): string {
  switch (style) {
    case "atx2":
      return `## ${text}`;
    case "atx3":
      return `### ${text}`;
    case "setext":
      return `${text}\n${(chance(rnd, 0.5) ? "=" : "-").repeat(Math.max(3, text.length))}`;
    case "bold":
      return `**${text}**`;
    case "boldColon":
      return `**${text}:**`;
    case "plainColon":
      return `${text}:`;
    case "numbered":
      return `## ${index}. ${text}`;
    case "emoji":
      return `## ${pick(rnd, EMOJI)} ${text}`;
  }
}

function styleFor(rnd: Random, phrase: Phrase): Style {
  return pick(rnd, phrase.loose ? LOOSE_STYLES : STYLES);
}

/** A score form and the score it stands for. */
function scoreForm(rnd: Random): { text: string; score: number } {
  const n = 1 + Math.floor(rnd() * 10);
  const forms = [
    `${n}`,
    `${n}/10`,
    `${n} / 10`,
    `(${n}/10)`,
    `${n} out of 10`,
    `**${n}**`,
    `**${n}/10**`,
    `${n} - ${n >= 7 ? "High" : "Medium"}`,
    `${n} (${n >= 7 ? "High" : "Low"})`,
  ];
  if (chance(rnd, 0.25)) {
    const hundred = 1 + Math.floor(rnd() * 100);
    return { text: `${hundred}/100`, score: Math.max(1, Math.round(hundred / 10)) };
  }
  return { text: pick(rnd, forms), score: n };
}

const CVSS_DECOYS = [
  "CVSS 9.8 (Critical)",
  "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
  "The CVSS v3.1 base score is 7.5.",
  "See CVE-2021-44228 for a similar flaw.",
];

type Built = { answer: string; expected: ParsedAnalysis };

function buildAnswer(rnd: Random): Built {
  const summaryText = SENTENCES.slice(0, 1 + Math.floor(rnd() * 3));
  const twoParagraphs = summaryText.length > 1 && chance(rnd, 0.4);
  const steps = STEPS.slice(0, 1 + Math.floor(rnd() * STEPS.length));
  const { text: scoreText, score } = scoreForm(rnd);
  let index = 0;

  const summaryPhrase = pick(rnd, SUMMARY);
  const summaryBody = twoParagraphs
    ? `${summaryText[0]}\n\n${summaryText.slice(1).join("\n")}`
    : summaryText.join("\n");
  const summary = () =>
    `${heading(styleFor(rnd, summaryPhrase), summaryPhrase.text, ++index, rnd)}\n${summaryBody}`;

  const actionPhrase = pick(rnd, ACTION);
  const action = () => {
    const items = steps.map((step, i) => {
      const marker = pick(rnd, MARKERS);
      return `${marker === "1." ? `${i + 1}.` : marker === "1)" ? `${i + 1})` : marker} ${step}`;
    });
    return `${heading(styleFor(rnd, actionPhrase), actionPhrase.text, ++index, rnd)}\n${items.join("\n")}`;
  };

  const riskPhrase = pick(rnd, RISK);
  const risk = () => {
    const style = styleFor(rnd, riskPhrase);
    const decoy = chance(rnd, 0.4) ? pick(rnd, CVSS_DECOYS) : null;
    // The score on the label's own line, or in the body with an optional CVSS/CVE decoy around it.
    if ((style === "boldColon" || style === "plainColon") && !decoy && chance(rnd, 0.5)) {
      return `${heading(style, riskPhrase.text, ++index, rnd)} ${scoreText}`;
    }
    const body = decoy
      ? chance(rnd, 0.5)
        ? `${decoy}\n\n${scoreText}`
        : `${scoreText}\n\n${decoy}`
      : scoreText;
    return `${heading(style, riskPhrase.text, ++index, rnd)}\n${body}`;
  };

  const decoySection = () =>
    chance(rnd, 0.5)
      ? `${heading(pick(rnd, STYLES), "Impact", ++index, rnd)}\nRemote code execution in the decoding service.`
      : `${heading(pick(rnd, STYLES), "References", ++index, rnd)}\n- https://example.org/advisories/CVE-2023-1234`;

  const parts = [summary, action, risk];
  // Summary first most of the time, otherwise a random order; a decoy section anywhere between.
  if (chance(rnd, 0.35)) parts.sort(() => rnd() - 0.5);
  if (chance(rnd, 0.5)) parts.splice(1 + Math.floor(rnd() * parts.length), 0, decoySection);
  const preamble = chance(rnd, 0.2) ? "Here is my assessment of the finding.\n\n" : "";
  const answer = preamble + parts.map((part) => part()).join("\n\n");

  const expectedSummary = twoParagraphs
    ? `${summaryText[0]}\n\n${summaryText.slice(1).join(" ")}`
    : summaryText.join(" ");
  return { answer, expected: { summary: expectedSummary, recommendations: steps, riskScore: score } };
}

function parseError(raw: string): AnalysisParseError {
  try {
    parseAnalysis(raw);
  } catch (error) {
    if (error instanceof AnalysisParseError) return error;
    throw error;
  }
  throw new Error(`expected a parse error for:\n${raw}`);
}

const PARSE_DIR = new URL("../../src/analysis/parse/", import.meta.url);
const parserSource = [
  ...readdirSync(PARSE_DIR).map((file) => readFileSync(new URL(file, PARSE_DIR), "utf8")),
  readFileSync(new URL("../../src/analysis/parse-analysis.ts", import.meta.url), "utf8"),
]
  .join("\n")
  .toLowerCase();

const wordsOf = (text: string) =>
  text
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter((word) => word.length > 2);

describe("generated answers", () => {
  it("use heading words the parser has never seen", () => {
    const all = [...SUMMARY, ...ACTION, ...RISK];
    const unseen = all.filter((phrase) => wordsOf(phrase.text).some((word) => !parserSource.includes(word)));
    expect(unseen.length).toBeGreaterThanOrEqual(20);
    for (const word of ["summarised", "synopsis", "concise", "remedies", "remediations", "mitigating"]) {
      expect(parserSource.includes(word), word).toBe(false);
    }
    for (const word of ["prioritisation", "seriousness", "ranking", "countermeasures", "worthiness"]) {
      expect(parserSource.includes(word), word).toBe(false);
    }
  });

  const rnd = seededRandom(SEED);
  const cases = Array.from({ length: CASES }, (_, i) => [i, buildAnswer(rnd)] as const);

  it.each(cases)("answer %i parses to its parts", (_i, { answer, expected }) => {
    // A refusal is shown with the answer, not as a bare stack.
    let got: ParsedAnalysis | string;
    try {
      got = parseAnalysis(answer);
    } catch (error) {
      got = String(error);
    }
    expect(got, answer).toEqual(expected);
  });
});

describe("generated answers that must be refused", () => {
  const rnd = seededRandom(SEED ^ 0x5eed);
  const severity = ["High", "Critical", "Medium", "Low", "**High**", "Severe"];

  const wordOnly = Array.from({ length: NEGATIVE_CASES / 2 }, (_, i) => {
    const { answer } = buildAnswer(rnd);
    // Replace the risk section's score with a severity word.
    const riskPhrase = pick(
      rnd,
      RISK.filter((phrase) => !phrase.loose),
    );
    const style = pick(rnd, ["atx2", "boldColon", "plainColon"] as const);
    const withoutRisk = answer.replace(/\n{2}[^\n]*$/, "");
    const head = heading(style, riskPhrase.text, 9, rnd);
    return [
      i,
      `## Summary\n${SENTENCES[0]}\n\n## Fix\n- ${STEPS[0]}\n\n${head}\n${pick(rnd, severity)}`,
      withoutRisk,
    ] as const;
  });

  it.each(wordOnly)("a severity word alone is no score (%i)", (_i, answer) => {
    expect(parseError(answer).code, answer).toBe("no_risk_score");
  });

  const noSummary = Array.from({ length: NEGATIVE_CASES / 2 }, (_, i) => {
    const actionPhrase = pick(rnd, ACTION);
    const riskPhrase = pick(rnd, RISK);
    const action = `${heading(styleFor(rnd, actionPhrase), actionPhrase.text, 1, rnd)}\n- ${pick(rnd, STEPS)}`;
    const risk = `${heading(styleFor(rnd, riskPhrase), riskPhrase.text, 2, rnd)}\n${scoreForm(rnd).text}`;
    const parts = chance(rnd, 0.5) ? [action, risk] : [risk, action];
    // A leading untitled paragraph is a preamble, never the summary.
    const preamble = chance(rnd, 0.5) ? `${pick(rnd, SENTENCES)}\n\n` : "";
    return [i, preamble + parts.join("\n\n")] as const;
  });

  it.each(noSummary)("no summary-like section is no_summary (%i)", (_i, answer) => {
    expect(parseError(answer).code, answer).toBe("no_summary");
  });
});
