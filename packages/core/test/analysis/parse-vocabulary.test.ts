import { readdirSync, readFileSync } from "node:fs";
import { badLlmAnswers, llmAnswerCorpus } from "@vulntriage/test-utils";
import { describe, expect, it } from "vitest";
import { AnalysisParseError, parseAnalysis } from "../../src/analysis/parse-analysis.js";

// Headings are read by meaning: these names are examples of each family, many in words that appear
// nowhere in the parser's sources (checked below), so only roots, grammar and structure can place them.

const PARSE_DIR = new URL("../../src/analysis/parse/", import.meta.url);
const parserSource = [
  ...readdirSync(PARSE_DIR).map((file) => readFileSync(new URL(file, PARSE_DIR), "utf8")),
  readFileSync(new URL("../../src/analysis/parse-analysis.ts", import.meta.url), "utf8"),
]
  .join("\n")
  .toLowerCase();

function parseError(raw: string): AnalysisParseError {
  try {
    parseAnalysis(raw);
  } catch (error) {
    if (error instanceof AnalysisParseError) return error;
    throw error;
  }
  throw new Error("expected a parse error");
}

const SUMMARY_TEXT = "The decoder in this image overflows a heap buffer on crafted input.";
const summaryAs = (name: string) => `## ${name}\n${SUMMARY_TEXT}\n\n## Fix\n- Upgrade.\n\n## Risk Score\n5`;
const actionAs = (name: string) => `## Summary\nS.\n\n## ${name}\n- Upgrade.\n- Rebuild.\n\n## Risk Score\n5`;
const riskAs = (name: string) => `## Summary\nS.\n\n## Fix\n- Upgrade.\n\n## ${name}\n7/10`;

// [heading, a word of it that the parser's sources never spell out, or null]
const SUMMARY_NAMES: [string, string | null][] = [
  ["Summary", null],
  ["TL;DR", null],
  ["Synopsis", "synopsis"],
  ["Gist of it", null],
  ["Recapitulation", "recapitulation"],
  ["Summarised findings", "summarised"],
  ["A concise synopsis of the flaw", "concise"],
  ["Overviews", "overviews"],
  ["Descriptive overview of the flaw", "descriptive"],
  ["What's going on?", "going on"],
  ["What is this?", "what is this"],
  ["🧾 In a nutshell", null],
  ["Explanatory remarks", "explanatory"],
  ["Vulnerability analysis", null],
];

const ACTION_NAMES: [string, string | null][] = [
  ["Remediation roadmap", "remediation roadmap"],
  ["Remedies", "remedies"],
  ["Remediating the flaw", "remediating"],
  ["Mitigating controls", "mitigating"],
  ["Mitigations in place of a patch", null],
  ["Fix it", "fix it"],
  ["To-do", "to-do"],
  ["Hardening steps", "hardening"],
  ["Patching guidance", "patching"],
  ["What should I do?", "what should i do"],
  ["How do I fix it", null],
  ["Suggested changes", "suggested changes"],
  ["Corrective measures", "corrective"],
  ["Resolution steps", null],
  ["Workarounds", "workarounds"],
  ["Compensating countermeasures", "compensating"],
  ["3. Action plan", "action plan"],
];

const RISK_NAMES: [string, string | null][] = [
  ["Priority", null],
  ["Prioritisation", "prioritisation"],
  ["Criticality", null],
  ["Urgency (1-10)", null],
  ["Threat level", null],
  ["Threat ranking", "ranking"],
  ["Seriousness", "seriousness"],
  ["How bad is it?", "how bad"],
  ["How urgent is this", null],
  ["Verdict", null],
  ["Danger rating", "danger rating"],
  ["Score justification", null],
  ["🚨 Overall urgency", null],
  ["Dangerousness", "dangerousness"],
  ["Prioritized concerns", "prioritized"],
  ["Threat assessment", "threat assessment"],
];

const OTHER_NAMES = [
  "Impact",
  "Business impact",
  "References",
  "CVSS",
  "CVSS v3.1 score",
  "Severity",
  "Severity level",
  "Base score",
  "Impact score",
  "Affected versions",
  "Fixed version",
  "Details",
  "Vulnerability details",
  "Notes",
  "Conclusion",
  "Root cause analysis",
  "Exploitability",
  "Why it matters",
];

describe("heading families", () => {
  it("includes words the parser's sources never spell out", () => {
    const unseen = [...SUMMARY_NAMES, ...ACTION_NAMES, ...RISK_NAMES].flatMap(([, word]) =>
      word ? [word] : [],
    );
    expect(unseen.length).toBeGreaterThanOrEqual(30);
    for (const word of unseen) expect(parserSource.includes(word), word).toBe(false);
  });

  it.each(SUMMARY_NAMES)("reads %j as a summary", (name) => {
    expect(parseAnalysis(summaryAs(name)).summary).toBe(SUMMARY_TEXT);
  });

  it.each(ACTION_NAMES)("reads %j as recommendations", (name) => {
    expect(parseAnalysis(actionAs(name)).recommendations).toEqual(["Upgrade.", "Rebuild."]);
  });

  it.each(RISK_NAMES)("reads %j as the risk score", (name) => {
    expect(parseAnalysis(riskAs(name)).riskScore).toBe(7);
  });

  it.each(OTHER_NAMES)("reads %j as another section, which ends the one above and is never used", (name) => {
    const raw = `## Summary\nS.\n\n## Fix\n- Upgrade.\n\n## ${name}\nOther text.\n- Not a step.\n9/10\n`;
    expect(parseError(raw).code).toBe("no_risk_score");
    expect(parseAnalysis(`${raw}\n## Risk Score\n4`)).toEqual({
      summary: "S.",
      recommendations: ["Upgrade."],
      riskScore: 4,
    });
  });

  it.each([
    ["a bold label", "**Threat level:** 6/10", 6],
    ["a plain label", "Criticality: 8/10", 8],
    ["a list label", "- **Priority:** 3", 3],
    ["a setext heading", "Urgency\n-------\n9", 9],
    ["a numbered heading", "## 4. Verdict\n**5** out of 10", 5],
    ["a heading with the score after a dash", "## Danger rating - 2/10", 2],
  ])("reads a risk name in %s", (_style, line, score) => {
    expect(parseAnalysis(`**Synopsis:** S.\n\n${line}\n`).riskScore).toBe(score);
  });

  it("prefers an explicit summary over an analysis, wherever it is", () => {
    const raw = "## Analysis\nLong analysis.\n\n## Summary\nShort summary.\n\n## Priority\n4";
    expect(parseAnalysis(raw).summary).toBe("Short summary.");
  });

  it("uses an analysis when the answer has nothing better", () => {
    expect(parseAnalysis("## Analysis\nOnly analysis.\n\n## Priority\n4").summary).toBe("Only analysis.");
  });

  it("keeps an analysis label inside a summary apart from it", () => {
    const raw = "## Summary\nThe flaw.\n\nAnalysis: a longer discussion.\n\n## Priority\n4";
    expect(parseAnalysis(raw).summary).toBe("The flaw.");
  });

  it("does not take a sentence that ends in a colon for a label", () => {
    const raw = "## Summary\nS.\n\n## Recommendations\nTo remediate this finding:\n- Upgrade.\n\n## Risk\n5";
    expect(parseAnalysis(raw).recommendations).toEqual(["Upgrade."]);
  });

  it("keeps a verb heading under a recommendations section as one of its steps", () => {
    const raw =
      "## Summary\nS.\n\n## Recommendations\n### Upgrade\nRun the upgrade.\n### Rebuild\nRedeploy.\n\n## Risk\n5";
    expect(parseAnalysis(raw).recommendations).toEqual(["Upgrade Run the upgrade.", "Rebuild Redeploy."]);
  });
});

describe("structural evidence for headings whose name says nothing", () => {
  it("takes a heading whose body is a clear score as the risk score", () => {
    const raw = "## Summary\nS.\n\n## Fix\n- Upgrade.\n\n## Gut feeling\n8/10";
    expect(parseAnalysis(raw).riskScore).toBe(8);
  });

  it("takes a list of steps after the summary as the recommendations", () => {
    const raw = "## Summary\nS.\n\n## Going forward\n- Upgrade.\n- Rebuild.\n\n## Risk Score\n5";
    expect(parseAnalysis(raw).recommendations).toEqual(["Upgrade.", "Rebuild."]);
  });

  it("takes a first section told in prose as the summary, below any named one", () => {
    const raw =
      "## Quick orientation\nThe decoder overflows on crafted input.\n\n## Fix\n- Upgrade.\n\n## Risk\n5";
    expect(parseAnalysis(raw).summary).toBe("The decoder overflows on crafted input.");
    expect(parseAnalysis(`${raw}\n\n## Summary\nNamed.`).summary).toBe("Named.");
  });

  it("never second-guesses a named section", () => {
    const named = "## Summary\nS.\n\n## Fix\n- Upgrade.\n\n## Severity\n8/10\n\n## Risk Score\nHigh";
    expect(parseError(named).code).toBe("no_risk_score");
    const scored = "## Summary\nS.\n\n## Gut feeling\n2/10\n\n## Risk Score\n7";
    expect(parseAnalysis(scored).riskScore).toBe(7);
  });
});

describe("score forms", () => {
  const withRisk = (body: string) => `## Summary\nS.\n\n## Fix\n- Upgrade.\n\n## Priority\n${body}\n`;

  it.each([
    ["7", 7],
    ["7/10", 7],
    ["7 / 10", 7],
    ["(7/10)", 7],
    ["7 out of 10", 7],
    ["80/100", 8],
    ["45/100", 5],
    ["5/100", 1],
    ["100/100", 10],
    ["I would rate this a 6, given CVSS 9.8 and CVE-2023-1234 in 1.2.3.", 6],
    ["Release 17 and `libsample` 3 are affected; urgency is 4.", 4],
  ])("reads %j as %i", (body, score) => {
    expect(parseAnalysis(withRisk(body)).riskScore).toBe(score);
  });

  it.each([
    ["a severity word alone", "High"],
    ["a CVSS number", "CVSS 9.8"],
    ["a CVSS vector", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"],
    ["a base score", "base score 7.5"],
    ["a CVE number", "CVE-2023-1234"],
    ["a CWE number", "CWE-79"],
    ["a dotted version", "Fixed in 1.2.3."],
    ["a v-version", "Affects v2 only."],
    ["a version word", "Upgrade to version 3."],
    ["a named release", "Only Release 7 is affected."],
    ["a number in code", "The `libsample` 3 series is affected."],
    ["a duration", "Patch within 3 days."],
  ])("finds no score in %s", (_name, body) => {
    expect(parseError(withRisk(body)).code).toBe("no_risk_score");
  });

  it.each([
    ["zero", "0"],
    ["eleven", "11"],
    ["more than the scale", "42/10"],
    ["zero out of a hundred", "0/100"],
  ])("refuses %s", (_name, body) => {
    expect(parseError(withRisk(body)).code).toBe("invalid_risk_score");
  });
});

describe("the shared answer corpus", () => {
  it.each(llmAnswerCorpus.map((entry) => [entry.id, entry] as const))(
    "%s parses to its expected fields",
    (_id, entry) => {
      expect(parseAnalysis(entry.answer)).toEqual(entry.expected);
    },
  );

  it.each(badLlmAnswers.map((entry) => [entry.id, entry] as const))(
    "%s is refused with its code",
    (_id, entry) => {
      expect(parseError(entry.answer).code).toBe(entry.expectedError);
    },
  );
});
