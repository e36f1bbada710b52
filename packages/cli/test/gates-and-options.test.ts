import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import type { Finding } from "../src/api.js";
import { evaluateGates, riskScoreOf } from "../src/gates.js";
import { parseDuration, parseRiskScore, parseSeverity, parseSeverityList } from "../src/parse-options.js";

let nextId = 1;
function finding(overrides: Partial<Finding>): Finding {
  return {
    id: nextId++,
    scan_id: 1,
    vulnerability_id: `CVE-2026-${1000 + nextId}`,
    pkg_name: "pkg",
    installed_version: "1.0",
    fixed_version: "1.1",
    severity: "MEDIUM",
    target: "t",
    title: null,
    primary_url: null,
    llm_analysis_summary: null,
    llm_analysis_risk_score: null,
    llm_analysis_status: null,
    risk: null,
    exploitation: null,
    ...overrides,
  };
}

describe("parseDuration", () => {
  it("should read seconds, minutes, hours, milliseconds, combinations and bare seconds", () => {
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("10m")).toBe(600_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("1.5m")).toBe(90_000);
    expect(parseDuration("45")).toBe(45_000);
    expect(parseDuration(" 2M ")).toBe(120_000);
  });

  it("should refuse anything else", () => {
    for (const bad of ["", "10x", "0s", "-5s", "1h 30m", "m", "10 m", "8d", "200h"]) {
      expect(() => parseDuration(bad), bad).toThrow(InvalidArgumentError);
    }
  });
});

describe("severity and risk arguments", () => {
  it("should take severities in any case and risk scores 1-10 only", () => {
    expect(parseSeverity("critical")).toBe("CRITICAL");
    expect(parseSeverity("Unknown")).toBe("UNKNOWN");
    expect(parseSeverityList("high,LOW")).toEqual(["HIGH", "LOW"]);
    expect(() => parseSeverity("severe")).toThrow(InvalidArgumentError);
    expect(parseRiskScore("1")).toBe(1);
    expect(parseRiskScore("10")).toBe(10);
    for (const bad of ["0", "11", "7.5", "x", ""])
      expect(() => parseRiskScore(bad), bad).toThrow(InvalidArgumentError);
  });
});

describe("evaluateGates", () => {
  it("should fail on a severity and everything above it", () => {
    const all = (["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"] as const).map((severity) =>
      finding({ severity }),
    );
    const severities = (failOn: Finding["severity"]) =>
      evaluateGates(all, { failOn }).failing.map((f) => f.finding.severity);
    expect(severities("CRITICAL")).toEqual(["CRITICAL"]);
    expect(severities("MEDIUM")).toEqual(["CRITICAL", "HIGH", "MEDIUM"]);
    expect(severities("UNKNOWN")).toHaveLength(5);
  });

  it("should take the computed risk score, and the LLM's score only while there is none", () => {
    const computed = finding({ risk: { score: 8, band: "high", llm_score: 3 }, llm_analysis_risk_score: 3 });
    const llmOnly = finding({ llm_analysis_risk_score: 9 });
    const neither = finding({});
    expect([computed, llmOnly, neither].map(riskScoreOf)).toEqual([8, 9, null]);
    const result = evaluateGates([computed, llmOnly, neither], { failOnRisk: 8 });
    expect(result.failing.map((f) => [f.finding.id, f.reasons])).toEqual([
      [llmOnly.id, ["risk 9"]],
      [computed.id, ["risk 8"]],
    ]);
  });

  it("should fail on KEV-listed findings and count those nobody checked", () => {
    const listed = finding({ exploitation: { kev_listed: true, epss_score: null } });
    const notListed = finding({ exploitation: { kev_listed: false, epss_score: null } });
    const unknown = finding({ exploitation: { kev_listed: null, epss_score: null } });
    const result = evaluateGates([listed, notListed, unknown], { failOnKev: true });
    expect(result.failing.map((f) => f.finding.id)).toEqual([listed.id]);
    expect(result.unknownKev).toBe(1);
  });

  it("should skip unfixed findings with ignoreUnfixed, and pass when there is no gate", () => {
    const unfixed = finding({ severity: "CRITICAL", fixed_version: null });
    const blank = finding({ severity: "CRITICAL", fixed_version: " " });
    const fixed = finding({ severity: "LOW" });
    const result = evaluateGates([unfixed, blank, fixed], { failOn: "LOW", ignoreUnfixed: true });
    expect(result).toMatchObject({ passed: false, evaluated: 1, skippedUnfixed: 2 });
    expect(result.failing.map((f) => f.finding.id)).toEqual([fixed.id]);
    expect(evaluateGates([unfixed], { ignoreUnfixed: true })).toMatchObject({ gated: false, passed: true });
  });
});
