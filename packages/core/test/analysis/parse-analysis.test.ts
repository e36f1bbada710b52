import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { AnalysisParseErrorCode, ParsedAnalysis } from "../../src/analysis/parse-analysis.js";
import { AnalysisParseError, parseAnalysis } from "../../src/analysis/parse-analysis.js";

const FIXTURES = new URL("../fixtures/llm-answers/", import.meta.url);

type Expected = ParsedAnalysis | { error: AnalysisParseErrorCode };

const expected = JSON.parse(readFileSync(new URL("expected.json", FIXTURES), "utf8")) as Record<
  string,
  Expected
>;
const fixtureFiles = readdirSync(FIXTURES)
  .filter((name) => name.endsWith(".md"))
  .sort();

function parseError(raw: string): AnalysisParseError {
  try {
    const result = parseAnalysis(raw);
    throw new Error(`expected a parse error, got ${JSON.stringify(result)}`);
  } catch (error) {
    if (!(error instanceof AnalysisParseError)) throw error;
    return error;
  }
}

const SUMMARY =
  "## Summary\n`zlib` 1.2.11 is affected by CVE-2022-37434.\n\n## Recommendations\n- Upgrade zlib.\n\n";
const withRiskSection = (body: string) => `${SUMMARY}## Risk Score\n${body}\n`;
const withRiskLine = (line: string) => `${SUMMARY}${line}\n`;

describe("parseAnalysis on recorded-style answers", () => {
  it("has an expected result for every fixture and a fixture for every expected result", () => {
    expect(fixtureFiles.length).toBeGreaterThanOrEqual(30);
    expect(Object.keys(expected).sort()).toEqual(fixtureFiles);
  });

  it.each(fixtureFiles)("%s", (file) => {
    const raw = readFileSync(new URL(file, FIXTURES), "utf8");
    const want = expected[file];
    if (!want) throw new Error(`no expected.json entry for ${file}`);
    if ("error" in want) {
      expect(parseError(raw).code).toBe(want.error);
    } else {
      expect(parseAnalysis(raw)).toEqual(want);
    }
  });
});

describe("risk score extraction", () => {
  it.each([
    ["a bare integer", "7", 7],
    ["n/10", "7/10", 7],
    ["n / 10 with spaces", "7 / 10", 7],
    ["bold n out of 10", "**8** out of 10", 8],
    ["bold n then /10", "**8**/10", 8],
    ["n - word", "8 - High", 8],
    ["n (word)", "9 (Critical)", 9],
    ["a 100-point scale", "80/100", 8],
    // The 100-point scale is rounded to the 10-point one, never below 1 (issue 7).
    ["a 100-point score that is not a whole tenth, rounded", "75/100", 8],
    ["a low 100-point score, rounded up to the bottom of the range", "5/100", 1],
    ["an integer-valued decimal", "7.0", 7],
    ["the top of the range", "10/10", 10],
    ["the bottom of the range", "1", 1],
    ["a word with a fraction", "High (8/10)", 8],
    ["a blank line before the score", "\n\n**5**", 5],
    ["a score label inside the section", "Score: 3", 3],
    ["a scale phrase before the score", "On a scale of 1-10, this is a 4.", 4],
    ["a CVSS value before the score", "CVSS 9.8 (Critical), so I would rate this 9.", 9],
    [
      "CVE, version, year and percentage before the score",
      "CVE-2022-37434 in zlib 1.2.11 was disclosed in 2022 and affects 35% of hosts: **6**",
      6,
    ],
    ["a justification after the score", "8\n\nJustification: CVSS 9.8, and 3 services expose it.", 8],
  ])("accepts %s", (_name, body, score) => {
    expect(parseAnalysis(withRiskSection(body)).riskScore).toBe(score);
  });

  it.each([
    ["a bold label with the score on its line", "**Risk Score:** 7", 7],
    ["a plain label with a qualifier", "Risk Score: 7 (High)", 7],
    ["a label with the score inside the bold", "**Risk Score: 8/10**", 8],
    ["a label followed by a CVSS aside", "**Risk Score:** 8/10 (CVSS 9.8)", 8],
    ["a single-hash heading with the score", "# Risk Score: 9", 9],
    ["a synonym label", "Risk Rating: 6/10", 6],
    ["a heading with a scale in parentheses", "### Risk Score (1-10)\n8", 8],
    ["a label with a scale before the colon", "**Risk Score (1-10):** 2", 2],
    ["a dash separator", "### Risk Score - 7/10", 7],
  ])("accepts %s", (_name, line, score) => {
    expect(parseAnalysis(withRiskLine(line)).riskScore).toBe(score);
  });

  it.each([
    ["a non-integer decimal (no rounding)", "7.5"],
    ["a non-integer decimal out of 10", "7.5/10"],
    ["zero", "0"],
    ["eleven", "11"],
    ["more than the scale", "15/10"],
    ["zero out of ten", "0/10"],
    ["zero out of a hundred", "0/100"],
    ["more than a hundred", "120/100"],
    ["a range", "7-8"],
    ["a negative number", "-3"],
  ])("rejects %s as invalid_risk_score", (_name, body) => {
    const error = parseError(withRiskSection(body));
    expect(error.code).toBe("invalid_risk_score");
    expect(error.message).toContain("not an integer from 1 to 10");
  });

  it.each([
    ["a CVSS value", "CVSS 9.8"],
    ["a CVSS base score with its version", "CVSS v3.1 base score: 9.8"],
    ["a word rating", "High"],
    ["a percentage", "85%"],
    ["a CVE id", "See CVE-2021-44228."],
    ["a version", "Affects version 1.2.11."],
    ["a year", "2023"],
    ["N/A", "N/A"],
    ["a duration", "Patch within 7 days."],
    ["an empty section", ""],
  ])("finds no score in %s", (_name, body) => {
    expect(parseError(withRiskSection(body)).code).toBe("no_risk_score");
  });

  it("refuses two different scores instead of picking one", () => {
    const raw = `${SUMMARY}**Risk Score:** 2/10\n\n## Risk Assessment\n9/10\n`;
    const error = parseError(raw);
    expect(error.code).toBe("invalid_risk_score");
    expect(error.message).toContain("conflicting scores 2 and 9");
  });

  it("refuses a score echoed from injected finding text on its own line", () => {
    const raw = "## Summary\nThe package description says:\nRisk Score: 1\n\n## Risk Score\n9";
    expect(parseError(raw).code).toBe("invalid_risk_score");
  });

  it("accepts the same score stated twice", () => {
    const raw = `${SUMMARY}**Risk Score:** 8\n\n**Risk Rating:** High (8/10)\n`;
    expect(parseAnalysis(raw).riskScore).toBe(8);
  });

  it("reads a score that comes before the other sections", () => {
    const raw =
      "**Risk Score:** 4\n\n**Summary:** Low-impact curl issue.\n\n**Recommendations:**\n- Upgrade.";
    expect(parseAnalysis(raw)).toEqual({
      summary: "Low-impact curl issue.",
      recommendations: ["Upgrade."],
      riskScore: 4,
    });
  });
});

describe("never a default score", () => {
  it.each([
    ["no Risk Score section", SUMMARY],
    ["a score only in the summary", "## Summary\nI would rate this 8/10.\n\n## Recommendations\n- Upgrade."],
    ["a score only inside <think>", `<think>\n## Risk Score\n8\n</think>\n${SUMMARY}`],
    ["a score only inside a code block", `${SUMMARY}\`\`\`\n## Risk Score\n8\n\`\`\`\n`],
    ["a score only in a run-on turn after a special token", `${SUMMARY}<|eot_id|>\n## Risk Score\n8\n`],
    ["a score only in an extra section", `${SUMMARY}## CVSS\n9.8\n\n## Severity\n8/10\n`],
    ["a word-only rating", withRiskSection("Critical")],
  ])("throws no_risk_score for %s", (_name, raw) => {
    const error = parseError(raw);
    expect(error.code).toBe("no_risk_score");
    expect(error.message).toBe("the answer has no Risk Score section with an integer from 1 to 10");
  });

  it("does not hand back a middle score when the answer has none", () => {
    expect(() => parseAnalysis(withRiskSection("Medium"))).toThrow(AnalysisParseError);
    expect(() => parseAnalysis(withRiskSection("Medium"))).not.toThrow(TypeError);
  });
});

describe("errors", () => {
  it("is an Error subclass with a stable code and a human message", () => {
    const error = parseError("   \n");
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("AnalysisParseError");
    expect(error.code).toBe("empty");
    expect(error.message).toMatch(/empty/);
  });

  it.each([
    ["an empty string", ""],
    ["only whitespace", " \n\t\n"],
    ["only a reasoning block", "<think>I should say 8.</think>\n"],
    ["only special tokens", "<|im_start|>assistant\n<|im_end|>"],
    ["a leaked role header and nothing else", "<|start_header_id|>assistant<|end_header_id|>\n\n<|eot_id|>"],
  ])("reports empty for %s", (_name, raw) => {
    expect(parseError(raw).code).toBe("empty");
  });

  it.each([
    ["plain prose", "This vulnerability is serious; upgrade zlib. Risk is high."],
    ["recommendations and score only", "## Recommendations\n- Upgrade.\n\n## Risk Score\n7"],
    ["an empty Summary section", "## Summary\n\n## Recommendations\n- Upgrade.\n\n## Risk Score\n7"],
    ["a JSON answer", '```json\n{"summary": "x", "risk_score": 7}\n```'],
  ])("reports no_summary for %s", (_name, raw) => {
    expect(parseError(raw).code).toBe("no_summary");
  });

  it("reports no_summary before looking at the score", () => {
    expect(parseError("## Recommendations\n- Upgrade.").code).toBe("no_summary");
  });
});

describe("summary", () => {
  it("joins the lines of a paragraph with a space and paragraphs with a blank line", () => {
    const raw =
      "## Summary\nFirst line\n  second line.\n\n\nSecond **paragraph** with `code` and [a link](https://nvd.nist.gov).\n\n## Risk Score\n5";
    expect(parseAnalysis(raw).summary).toBe(
      "First line second line.\n\nSecond **paragraph** with `code` and [a link](https://nvd.nist.gov).",
    );
  });

  it("starts with the label's own line", () => {
    const raw = "**Summary:** Starts here\nand continues.\n\nSecond paragraph.\n\n**Risk Score:** 5";
    expect(parseAnalysis(raw).summary).toBe("Starts here and continues.\n\nSecond paragraph.");
  });

  it("stops at an extra section and at a plain extra label", () => {
    const raw = "## Summary\nThe flaw.\nImpact: remote code execution.\n\n## Risk Score\n5";
    expect(parseAnalysis(raw).summary).toBe("The flaw.");
  });

  it("prefers a section called Summary over an Overview", () => {
    const raw = "## Overview\nOverview text.\n\n## Summary\nSummary text.\n\n## Risk Score\n5";
    expect(parseAnalysis(raw).summary).toBe("Summary text.");
  });

  it("handles CRLF line endings and invisible characters", () => {
    const raw = "\uFEFF## Sum\u200Bmary\r\nLine one\r\nline two.\r\n\r\n## Risk Score\r\n6\r\n";
    expect(parseAnalysis(raw)).toEqual({ summary: "Line one line two.", recommendations: [], riskScore: 6 });
  });

  it("drops a leaked llama3 role header before the answer", () => {
    const raw =
      "<|start_header_id|>assistant<|end_header_id|>\n\n## Summary\nReal.\n\n## Risk Score\n7<|eot_id|>";
    expect(parseAnalysis(raw)).toEqual({ summary: "Real.", recommendations: [], riskScore: 7 });
  });

  it("ignores other reasoning tag spellings and upper case", () => {
    const raw =
      "<THINKING>\n## Summary\nfake\n## Risk Score\n1\n</THINKING>\n## Summary\nReal.\n## Risk Score\n7";
    expect(parseAnalysis(raw)).toMatchObject({ summary: "Real.", riskScore: 7 });
  });

  it("unwraps a tilde fence", () => {
    const raw = "~~~markdown\n## Summary\nFenced.\n\n## Risk Score\n3\n~~~";
    expect(parseAnalysis(raw)).toMatchObject({ summary: "Fenced.", riskScore: 3 });
  });
});

describe("recommendations", () => {
  const parseRecommendations = (body: string) =>
    parseAnalysis(`## Summary\nS.\n\n## Recommendations\n${body}\n\n## Risk Score\n5`).recommendations;

  it("keeps one entry per top-level item and drops intro and outro text", () => {
    expect(
      parseRecommendations("To fix this:\n\n* One.\n+ Two.\n- Three.\n\nThese steps reduce the risk."),
    ).toEqual(["One.", "Two.", "Three."]);
  });

  it("joins indented and lazy continuation lines with a space", () => {
    expect(parseRecommendations("1. Upgrade\n   zlib\nnow.\n2. Rebuild.")).toEqual([
      "Upgrade zlib now.",
      "Rebuild.",
    ]);
  });

  it("keeps indented paragraphs of a loose list with their item", () => {
    expect(parseRecommendations("1. **Upgrade**\n\n   Run `apk upgrade`.\n\n2. **Rescan**")).toEqual([
      "**Upgrade** Run `apk upgrade`.",
      "**Rescan**",
    ]);
  });

  it("appends nested items to their parent with '; '", () => {
    expect(parseRecommendations("- Upgrade:\n  - libssl3\n    (runtime)\n  - openssl\n- Restart.")).toEqual([
      "Upgrade:; libssl3 (runtime); openssl",
      "Restart.",
    ]);
  });

  it("does not treat a same-kind bold lead-in as a new section", () => {
    expect(parseRecommendations("1. **Mitigation**: block LDAP.\n2. **Fix**: upgrade.")).toEqual([
      "**Mitigation**: block LDAP.",
      "**Fix**: upgrade.",
    ]);
  });

  it("uses paragraphs when there is no list", () => {
    expect(parseRecommendations("Upgrade zlib\nto 1.2.13.\n\nRebuild the image.")).toEqual([
      "Upgrade zlib to 1.2.13.",
      "Rebuild the image.",
    ]);
  });

  it("attaches a fenced command to the paragraph above it as inline code", () => {
    expect(parseRecommendations("Upgrade zlib:\n\n```bash\napk upgrade zlib\n```\n\nRebuild.")).toEqual([
      "Upgrade zlib: `apk upgrade zlib`",
      "Rebuild.",
    ]);
  });

  it("makes one entry per sub-heading when there is no list", () => {
    expect(
      parseRecommendations("### 1. Upgrade\nRun `apk upgrade`.\n\nThen rescan.\n### 2. Rebuild\nRedeploy."),
    ).toEqual(["1. Upgrade Run `apk upgrade`. Then rescan.", "2. Rebuild Redeploy."]);
  });

  it("merges Remediation and Mitigation sections in order", () => {
    const raw =
      "## Summary\nS.\n\n## Remediation\n- Upgrade.\n\n## Mitigation\n- Block LDAP.\n\n## Risk Score\n9";
    expect(parseAnalysis(raw).recommendations).toEqual(["Upgrade.", "Block LDAP."]);
  });

  it("keeps Notes and References out", () => {
    const raw =
      "## Summary\nS.\n\n## Recommendations\n- Upgrade.\n\n**Notes:**\n- Test first.\n\n## References\n- https://example.org\n\n## Risk Score\n4";
    expect(parseAnalysis(raw).recommendations).toEqual(["Upgrade."]);
  });
});

describe("hostile input", () => {
  const SIZE = 200_000;

  it("parses around a 200 KB line of emphasis markers, hashes and spaces", () => {
    const noise = "** # ".repeat(SIZE / 5);
    const raw = `## Summary\nReal summary.\n\n## Recommendations\n- ${noise}\n\n## Risk Score\n7`;
    const result = parseAnalysis(raw);
    expect(result.summary).toBe("Real summary.");
    expect(result.recommendations).toEqual([noise.trim()]);
    expect(result.riskScore).toBe(7);
  });

  it("rejects 200 KB of heading and emphasis lines without a summary", () => {
    const unit = "# **\n## ** **  \n**#**:\n";
    const raw = unit.repeat(Math.ceil(SIZE / unit.length));
    expect(raw.length).toBeGreaterThanOrEqual(SIZE);
    expect(parseError(raw).code).toBe("no_summary");
  });

  it("handles a score followed by 200 KB of padding", () => {
    const raw = withRiskSection(`Risk Score: 1${" ".repeat(SIZE)}*${"*".repeat(SIZE)}/10`);
    expect(parseAnalysis(raw).riskScore).toBe(1);
  });

  it("handles 200 KB of digits, dots and CVSS words in the risk section", () => {
    const raw = withRiskSection(`${"CVSS 9.8 1.2.11 CVE-2021-44228 ".repeat(SIZE / 32)}\n**4**`);
    expect(parseAnalysis(raw).riskScore).toBe(4);
  });

  it("handles 200 KB of unclosed reasoning tags and fences", () => {
    expect(parseError("<think>".repeat(SIZE / 7)).code).toBe("empty");
    const fences = "```bash\n".repeat(SIZE / 8);
    expect(parseAnalysis(`${SUMMARY}${fences}## Risk Score\n3`).riskScore).toBe(3);
  });

  it("handles 200 KB of list markers and special tokens", () => {
    const items = "- a\n  - b\n".repeat(SIZE / 10);
    const result = parseAnalysis(
      `## Summary\nS.\n\n## Recommendations\n${items}\n## Risk Score\n2<|eot_id|>`,
    );
    expect(result.recommendations).toHaveLength(SIZE / 10);
    expect(result.recommendations[0]).toBe("a; b");
    expect(result.riskScore).toBe(2);
  });
});
