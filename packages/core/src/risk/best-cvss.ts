import type { NvdRecord } from "@vulntriage/db";

type CvssEntry = { V40Score?: unknown; V3Score?: unknown };

const score = (value: unknown): number | null =>
  typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= 10 ? value : null;

/**
 * The best CVSS base score for a finding: v4 before v3; within a version the severity source Trivy
 * used, then other vendors, then NVD; then NVD's own record when the report had none.
 */
export function bestCvss(
  reportCvss: Record<string, unknown> | null,
  severitySource: string | null,
  nvd: NvdRecord | null,
): { score: number; source: string } | null {
  const sources = Object.keys(reportCvss ?? {}).sort(
    (a, b) => rank(a, severitySource) - rank(b, severitySource),
  );
  for (const [key, label] of [
    ["V40Score", "v4"],
    ["V3Score", "v3"],
  ] as const) {
    for (const source of sources) {
      const value = score((reportCvss as Record<string, CvssEntry>)[source]?.[key]);
      if (value !== null) return { score: value, source: `${source} ${label}` };
    }
    const fromNvd = nvd?.cvss.find((c) => c.version.startsWith(label === "v4" ? "4" : "3"));
    if (fromNvd && score(fromNvd.baseScore) !== null) {
      return { score: fromNvd.baseScore, source: `nvd api ${label}` };
    }
  }
  return null;
}

function rank(source: string, severitySource: string | null): number {
  if (source === severitySource) return 0;
  if (source === "nvd") return 2;
  return 1;
}
