import type { Finding, Severity } from "./api.js";

export const SEVERITIES: readonly Severity[] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"];

/** Higher is more severe. */
const RANK: Record<Severity, number> = { CRITICAL: 4, HIGH: 3, MEDIUM: 2, LOW: 1, UNKNOWN: 0 };

export type Gates = {
  failOn?: Severity | undefined;
  failOnRisk?: number | undefined;
  failOnKev?: boolean | undefined;
  ignoreUnfixed?: boolean | undefined;
};

export type FailingFinding = { finding: Finding; reasons: string[] };

export type GateResult = {
  /** Some gate was asked for; without one, nothing can fail. */
  gated: boolean;
  passed: boolean;
  failing: FailingFinding[];
  /** Findings the gates looked at (after --ignore-unfixed). */
  evaluated: number;
  skippedUnfixed: number;
  /** Findings whose KEV status nobody has checked yet (only counted with --fail-on-kev). */
  unknownKev: number;
};

export function hasGate(gates: Gates): boolean {
  return gates.failOn !== undefined || gates.failOnRisk !== undefined || gates.failOnKev === true;
}

/** The gates in words, for summaries: "severity ≥ HIGH, risk ≥ 7, KEV-listed". */
export function describeGates(gates: Gates): string {
  const parts: string[] = [];
  if (gates.failOn) parts.push(`severity ≥ ${gates.failOn}`);
  if (gates.failOnRisk !== undefined) parts.push(`risk ≥ ${gates.failOnRisk}`);
  if (gates.failOnKev) parts.push("KEV-listed");
  const text = parts.join(" or ");
  return gates.ignoreUnfixed && text ? `${text} (fixable only)` : text;
}

/** The computed risk score when the finding carries one; until then the LLM's own score. */
export function riskScoreOf(finding: Finding): number | null {
  return finding.risk?.score ?? finding.llm_analysis_risk_score ?? null;
}

function isUnfixed(finding: Finding): boolean {
  return finding.fixed_version === null || finding.fixed_version.trim() === "";
}

/** A finding fails when any gate matches it; the reasons name each gate that did. */
export function evaluateGates(findings: readonly Finding[], gates: Gates): GateResult {
  const failing: FailingFinding[] = [];
  let evaluated = 0;
  let skippedUnfixed = 0;
  let unknownKev = 0;
  for (const finding of findings) {
    if (gates.ignoreUnfixed && isUnfixed(finding)) {
      skippedUnfixed++;
      continue;
    }
    evaluated++;
    const reasons: string[] = [];
    if (gates.failOn && RANK[finding.severity] >= RANK[gates.failOn])
      reasons.push(`severity ${finding.severity}`);
    const risk = riskScoreOf(finding);
    if (gates.failOnRisk !== undefined && risk !== null && risk >= gates.failOnRisk)
      reasons.push(`risk ${risk}`);
    if (gates.failOnKev) {
      const kev = finding.exploitation?.kev_listed ?? null;
      if (kev === true) reasons.push("KEV");
      if (kev === null) unknownKev++;
    }
    if (reasons.length > 0) failing.push({ finding, reasons });
  }
  failing.sort((a, b) => compareFindings(a.finding, b.finding));
  const gated = hasGate(gates);
  return { gated, passed: failing.length === 0, failing, evaluated, skippedUnfixed, unknownKev };
}

/** Most severe first, then highest risk, then by id: the order of every listing. */
function compareFindings(a: Finding, b: Finding): number {
  return RANK[b.severity] - RANK[a.severity] || (riskScoreOf(b) ?? 0) - (riskScoreOf(a) ?? 0) || a.id - b.id;
}
