/** Which family a heading or label belongs to. */

import { MAX_NAME } from "./label.js";

export type Kind = "summary" | "recommendations" | "risk" | "other";

export function normaliseName(name: string): string {
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

export function knownKind(name: string): Kind | null {
  return KNOWN_NAMES.get(name) ?? null;
}

/** Looser matching, only for real headings and bold title lines. */
export function fuzzyKind(name: string): Kind | null {
  if (name.length > MAX_NAME) return null;
  if (/cvss|severity/.test(name)) return "other";
  if (/\bsummary\b|^overview\b|^description\b|\boverview$/.test(name)) return "summary";
  if (/recommend|remediat|mitigat/.test(name)) return "recommendations";
  if (/\brisk (?:score|rating|level|assessment)\b|^(?:overall |final )?score\b/.test(name)) return "risk";
  return null;
}
