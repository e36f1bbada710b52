import type { PromptSourceRow } from "@vulntriage/db";
import { epssBand } from "../risk/risk-score.js";
import { buildPrompt, type PromptInput, type PromptSettings } from "./prompt.js";

// One question per advisory, not per package.
//
// A Debian or Ubuntu source package builds many binary packages (gcc-12 → cpp-12, g++-12, libgcc-s1,
// libstdc++6, …) that carry one version and receive one fix, so Trivy reports one advisory once per
// binary package: 23 findings of one image for CVE-2020-13844. The model's answer cannot differ
// between them, and one upgrade fixes them all. So the findings of a scan that share the
// vulnerability id, installed version, fixed version (or none) and package type (the scan fixes OS
// family and release) are one question, whatever their package names, targets and paths. The
// prompt names every package of the set; nothing scan-specific (image, target, path, ids) enters
// it, so every image with the same set — a fleet on one base image — asks the same prompt once.

/** The findings of one scan that form one question. */
function questionKey(row: PromptSourceRow): string {
  return JSON.stringify([
    row.vulnerabilityId,
    row.installedVersion,
    row.fixedVersion,
    row.packageType,
    row.osFamily,
    row.osName,
  ]);
}

/** Groups one scan's findings into questions, keeping the order of each group's first finding. */
function groupQuestions<R extends PromptSourceRow>(rows: readonly R[]): R[][] {
  const groups = new Map<string, R[]>();
  for (const row of rows) {
    const key = questionKey(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return [...groups.values()];
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * What one question's prompt is built from: the advisory's facts from the group's first package by
 * name (the same for all of them in practice, and the same pick in every image with this set), the
 * most severe rating among them, and every package name, sorted and de-duplicated.
 */
export function questionInput(rows: readonly PromptSourceRow[]): PromptInput {
  if (rows.length === 0) throw new Error("a question needs at least one finding");
  const sorted = [...rows].sort((a, b) => byText(a.pkgName, b.pkgName) || a.severityRank - b.severityRank);
  const first = sorted[0] as PromptSourceRow;
  const mostSevere = sorted.reduce((best, row) => (row.severityRank < best.severityRank ? row : best), first);
  const {
    id: _id,
    severityRank: _rank,
    pkgName: _name,
    kevOutcome,
    kevRansomware,
    epssScore,
    ...facts
  } = first;
  return {
    ...facts,
    severity: mostSevere.severity,
    packages: [...new Set(sorted.map((r) => r.pkgName))],
    exploitation: exploitationOf(kevOutcome, kevRansomware, epssScore),
  };
}

/** KEV and the EPSS band when the enrichment knows them; nothing when it does not (offline, not yet). */
function exploitationOf(
  kevOutcome: PromptSourceRow["kevOutcome"],
  ransomware: boolean | null,
  epss: number | null,
): PromptInput["exploitation"] {
  const known = kevOutcome === "found" || kevOutcome === "not_listed";
  if (!known && epss === null) return undefined;
  return {
    // Only what KEV answered: an outage is not "not listed".
    ...(known && { in_kev: kevOutcome === "found" }),
    ...(kevOutcome === "found" && ransomware !== null && { known_ransomware_use: ransomware }),
    ...(epss !== null && { epss_band: epssBand(epss) }),
  };
}

export type QuestionHashes = { ids: number[]; hashes: string[]; distinct: Set<string> };

/** The prompt hash of each unprepared finding's question, built once per question. */
export function hashQuestions(
  rows: readonly (PromptSourceRow & { unprepared: boolean })[],
  settings: PromptSettings,
): QuestionHashes {
  const out: QuestionHashes = { ids: [], hashes: [], distinct: new Set() };
  for (const question of groupQuestions(rows)) {
    const unprepared = question.filter((row) => row.unprepared);
    if (unprepared.length === 0) continue;
    const { promptHash } = buildPrompt(questionInput(question), settings);
    out.distinct.add(promptHash);
    for (const row of unprepared) {
      out.ids.push(row.id);
      out.hashes.push(promptHash);
    }
  }
  return out;
}
