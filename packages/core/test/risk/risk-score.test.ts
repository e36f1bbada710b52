import { seededRandom } from "@vulntriage/test-utils";
import { describe, expect, it } from "vitest";
import { bestCvss } from "../../src/risk/best-cvss.js";
import { computeRisk, epssBand, type RiskInputs } from "../../src/risk/risk-score.js";
import { SEVERITIES } from "../../src/trivy/severity.js";

// A seeded generator: the same few thousand inputs every run.
function randomInputs(next: () => number): RiskInputs {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  return {
    cvss: next() < 0.8 ? { score: Math.round(next() * 100) / 10, source: "nvd v3" } : null,
    severity: pick(SEVERITIES),
    epss: next() < 0.7 ? next() ** 3 : null,
    kev: pick([true, false, null]),
    ransomware: pick([true, false, null]),
    fixAvailable: next() < 0.5,
  };
}

const cases = (() => {
  const next = seededRandom(20261202);
  return Array.from({ length: 3_000 }, () => randomInputs(next));
})();

describe(computeRisk.name, () => {
  it("should always give an integer 1-10 with a band and a factor per input", () => {
    for (const input of cases) {
      const risk = computeRisk(input);
      expect(Number.isInteger(risk.score)).toBe(true);
      expect(risk.score).toBeGreaterThanOrEqual(1);
      expect(risk.score).toBeLessThanOrEqual(10);
      expect(risk.factors.length).toBeGreaterThanOrEqual(4);
      expect(risk.band).toBe(
        risk.score >= 9 ? "critical" : risk.score >= 7 ? "high" : risk.score >= 4 ? "medium" : "low",
      );
    }
  });

  it("should never score lower for a more severe, likelier, listed or ransomware-used flaw", () => {
    for (const input of cases) {
      const base = computeRisk(input).score;
      const worse: RiskInputs[] = [
        { ...input, cvss: { score: Math.min(10, (input.cvss?.score ?? 0) + 1.5), source: "nvd v3" } },
        { ...input, epss: Math.min(1, (input.epss ?? 0) * 3 + 0.05) },
        { ...input, kev: true },
        { ...input, ransomware: true },
      ];
      if (input.cvss)
        for (const w of worse) expect(computeRisk(w).score, JSON.stringify(w)).toBeGreaterThanOrEqual(base);
      if (input.kev === false)
        expect(computeRisk({ ...input, kev: true }).score).toBeGreaterThanOrEqual(base);
      if (input.epss !== null)
        expect(computeRisk({ ...input, epss: Math.min(1, input.epss + 0.3) }).score).toBeGreaterThanOrEqual(
          base,
        );
    }
  });

  it("should score a KEV-listed flaw with CVSS 9 or more at least 9, and any KEV-listed one at least 7", () => {
    for (const input of cases) {
      const listed = computeRisk({ ...input, kev: true });
      expect(listed.score).toBeGreaterThanOrEqual(7);
      if ((input.cvss?.score ?? 0) >= 9) expect(listed.score).toBeGreaterThanOrEqual(9);
    }
    expect(
      computeRisk({
        cvss: { score: 9.0, source: "nvd v3" },
        severity: "CRITICAL",
        epss: 0.0001,
        kev: true,
        ransomware: false,
        fixAvailable: false,
      }).score,
    ).toBe(9);
  });

  it("should show unknown exploitation as factors of its own, not as a silent zero", () => {
    const risk = computeRisk({
      cvss: null,
      severity: "HIGH",
      epss: null,
      kev: null,
      ransomware: null,
      fixAvailable: true,
    });
    expect(risk.factors.map((f) => f.name)).toEqual([
      "severity HIGH (no CVSS)",
      "epss unknown",
      "kev unknown",
      "fix available",
    ]);
    expect(risk.factors.find((f) => f.name === "epss unknown")?.points).toBeGreaterThan(0);
    // 0.6 × 8 + 0.5 + 0.5 + 0.5 = 6.3
    expect(risk.score).toBe(6);
  });

  it("should work the README's example", () => {
    // CVSS 9.8, EPSS 0.943 (≥ 50%), in KEV, ransomware known, fixed: 5.9 + 3 + 3 + 1 + 0.5 = 13.4 → 10.
    const log4shell = computeRisk({
      cvss: { score: 9.8, source: "nvd v3" },
      severity: "CRITICAL",
      epss: 0.943,
      kev: true,
      ransomware: true,
      fixAvailable: true,
    });
    expect(log4shell.score).toBe(10);
    // CVSS 7.5, EPSS 0.0004, not in KEV, fixed: 4.5 + 0 + 0 + 0.5 = 5.0 → 5.
    expect(
      computeRisk({
        cvss: { score: 7.5, source: "nvd v3" },
        severity: "HIGH",
        epss: 0.0004,
        kev: false,
        ransomware: null,
        fixAvailable: true,
      }).score,
    ).toBe(5);
  });

  it.each([
    [0.0099, "< 1%"],
    [0.01, "1–10%"],
    [0.0999, "1–10%"],
    [0.1, "10–50%"],
    [0.5, "≥ 50%"],
  ])("should put EPSS %s in the band %s", (epss, band) => {
    expect(epssBand(epss)).toBe(band);
  });
});

describe(bestCvss.name, () => {
  it("should prefer v4 to v3, the severity source to other vendors, vendors to NVD, and the report to the NVD API", () => {
    const cvss = { nvd: { V3Score: 9.8, V40Score: 9.3 }, redhat: { V3Score: 7.5 }, ghsa: { V3Score: 8.1 } };
    expect(bestCvss(cvss, "redhat", null)).toEqual({ score: 9.3, source: "nvd v4" });
    expect(bestCvss({ nvd: { V3Score: 9.8 }, redhat: { V3Score: 7.5 } }, "redhat", null)).toEqual({
      score: 7.5,
      source: "redhat v3",
    });
    expect(bestCvss({ nvd: { V3Score: 9.8 }, ubuntu: { V3Score: 6.1 } }, null, null)).toEqual({
      score: 6.1,
      source: "ubuntu v3",
    });
    const nvd = {
      cvss: [{ version: "3.1", baseScore: 8.8, vector: null, source: "nvd@nist.gov" }],
      cweIds: [],
      vulnStatus: null,
      published: null,
      lastModified: null,
    };
    expect(bestCvss({ nvd: { V2Score: 5 } }, null, nvd)).toEqual({ score: 8.8, source: "nvd api v3" });
    expect(
      bestCvss(null, null, { ...nvd, cvss: [{ version: "2.0", baseScore: 5, vector: null, source: null }] }),
    ).toBeNull();
    expect(bestCvss({ nvd: { V3Score: "9.8" } }, null, null)).toBeNull();
  });
});
