import type { Severity } from "../trivy/severity.js";

// A deterministic risk a reader can check by hand, beside the model's 1-10 guess.
//
//   points = 0.6 × CVSS base (the best available: v4, else v3 — vendor or NVD — else the severity)
//          + EPSS band  (< 1%: 0, 1–10%: 1, 10–50%: 2, ≥ 50%: 3; unknown: 0.5)
//          + KEV        (listed: 3; checked, not listed: 0; unknown: 0.5)
//          + ransomware (known use: 1)
//          + fix        (a fixed version exists: 0.5 — the flaw is public and the upgrade known)
//   score  = the points rounded, clamped to 1–10; a KEV-listed flaw scores at least 7, and at
//            least 9 with CVSS ≥ 9.
//
// Every term grows with its input, so the score is monotone: more severe, likelier or listed is
// never lower. An unknown input is a factor of its own with small points, not a silent zero.

export type RiskInputs = {
  /** The best CVSS base score available, or null when only the severity is known. */
  cvss: { score: number; source: string } | null;
  severity: Severity;
  /** EPSS probability 0–1, or null when EPSS was not asked or does not know the CVE. */
  epss: number | null;
  /** true: in KEV; false: checked, not listed; null: not checked (offline, error, non-CVE id). */
  kev: boolean | null;
  ransomware: boolean | null;
  fixAvailable: boolean;
};

type RiskFactor = { name: string; value: string | number | boolean | null; points: number };

type RiskBand = "low" | "medium" | "high" | "critical";

export type Risk = { score: number; band: RiskBand; factors: RiskFactor[] };

// Stand-ins when only Trivy's severity is known: the middle of each CVSS v3 band.
const SEVERITY_CVSS: Record<Severity, number> = { CRITICAL: 9.5, HIGH: 8, MEDIUM: 5.5, LOW: 2.5, UNKNOWN: 5 };
const UNKNOWN_POINTS = 0.5;

/** The EPSS bands the prompt and the score share: a daily change inside a band changes neither. */
export function epssBand(epss: number): "< 1%" | "1–10%" | "10–50%" | "≥ 50%" {
  if (epss < 0.01) return "< 1%";
  if (epss < 0.1) return "1–10%";
  if (epss < 0.5) return "10–50%";
  return "≥ 50%";
}

const BAND_POINTS = { "< 1%": 0, "1–10%": 1, "10–50%": 2, "≥ 50%": 3 } as const;

const round1 = (n: number) => Math.round(n * 10) / 10;

function riskBand(score: number): RiskBand {
  if (score >= 9) return "critical";
  if (score >= 7) return "high";
  if (score >= 4) return "medium";
  return "low";
}

export function computeRisk(input: RiskInputs): Risk {
  const base = input.cvss?.score ?? SEVERITY_CVSS[input.severity];
  const factors: RiskFactor[] = [
    {
      name: input.cvss ? `cvss (${input.cvss.source})` : `severity ${input.severity} (no CVSS)`,
      value: input.cvss ? input.cvss.score : input.severity,
      points: round1(0.6 * base),
    },
    input.epss === null
      ? { name: "epss unknown", value: null, points: UNKNOWN_POINTS }
      : {
          name: `epss ${epssBand(input.epss)}`,
          value: input.epss,
          points: BAND_POINTS[epssBand(input.epss)],
        },
    input.kev === null
      ? { name: "kev unknown", value: null, points: UNKNOWN_POINTS }
      : { name: input.kev ? "in kev" : "not in kev", value: input.kev, points: input.kev ? 3 : 0 },
  ];
  if (input.ransomware) factors.push({ name: "ransomware use known", value: true, points: 1 });
  factors.push({
    name: input.fixAvailable ? "fix available" : "no fix",
    value: input.fixAvailable,
    points: input.fixAvailable ? 0.5 : 0,
  });

  const points = factors.reduce((sum, f) => sum + f.points, 0);
  let score = Math.min(10, Math.max(1, Math.round(points)));
  if (input.kev) score = Math.max(score, base >= 9 ? 9 : 7);
  return { score, band: riskBand(score), factors };
}
