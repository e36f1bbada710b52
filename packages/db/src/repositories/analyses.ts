import { and, eq, inArray, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Executor } from "../client.js";
import {
  llmAnalyses as a,
  cveEnrichment as e,
  containerFindings as f,
  containerScans as s,
} from "../schema/index.js";
import { needsPromptHash, WAITING } from "./analysis-conditions.js";
import { textArray } from "./sql-params.js";

// Analysis state lives on the findings (status, prompt hash) and in llm_analyses (one row per
// distinct prompt). These statements move it along set-wise: one statement per step, never a
// statement per finding.

const promptSource = {
  id: f.id,
  severityRank: f.severityRank,
  vulnerabilityId: f.vulnerabilityId,
  title: f.title,
  description: sql<string | null>`${f.cveData}->>'Description'`,
  severity: f.severity,
  cvss: f.cvss,
  cweIds: f.cweIds,
  pkgName: f.pkgName,
  installedVersion: f.installedVersion,
  fixedVersion: f.fixedVersion,
  status: f.status,
  packageType: sql<string | null>`coalesce(${f.type}, ${f.class})`,
  osFamily: s.osFamily,
  osName: s.osName,
  // What the fleet knows about exploitation (null until the enrichment job asked).
  kevOutcome: e.kevOutcome,
  kevRansomware: sql<boolean | null>`(${e.kev}->>'knownRansomwareCampaignUse')::boolean`,
  epssScore: e.epssScore,
};

function selectPromptSource(db: Executor) {
  return db
    .select(promptSource)
    .from(f)
    .innerJoin(s, eq(s.id, f.scanId))
    .leftJoin(e, eq(e.vulnerabilityId, f.vulnerabilityId));
}

/** What a finding's prompt is built from: the finding, its package and its scan's OS. */
export type PromptSourceRow = Awaited<ReturnType<typeof selectPromptSource>>[number];

/**
 * Every finding of a scan with what its prompt is built from, and whether it is pending with its
 * prompt hash missing or computed under other settings. All of them, not only those: a question's
 * package set is every finding of the scan that shares its advisory.
 */
export async function listScanPromptSources(
  db: Executor,
  scanId: number,
  promptConfig: string,
): Promise<(PromptSourceRow & { unprepared: boolean })[]> {
  return db
    .select({
      ...promptSource,
      unprepared: sql<boolean>`coalesce(${and(eq(f.llmAnalysisStatus, "pending"), needsPromptHash(promptConfig))}, false)`,
    })
    .from(f)
    .innerJoin(s, eq(s.id, f.scanId))
    .leftJoin(e, eq(e.vulnerabilityId, f.vulnerabilityId))
    .where(eq(f.scanId, scanId));
}

const sameAdvisory = alias(f, "same_advisory");

/**
 * One finding's question: the findings of its scan that share its vulnerability id, installed and
 * fixed version and package type (the scan fixes the OS). Empty when there is no such finding.
 */
export async function loadQuestionSources(db: Executor, findingId: number): Promise<PromptSourceRow[]> {
  const same = (column: keyof typeof f.$inferSelect) =>
    sql`${f[column]} is not distinct from ${sameAdvisory[column]}`;
  return selectPromptSource(db)
    .innerJoin(
      sameAdvisory,
      and(
        eq(sameAdvisory.id, findingId),
        eq(sameAdvisory.scanId, f.scanId),
        same("vulnerabilityId"),
        same("installedVersion"),
        same("fixedVersion"),
        sql`coalesce(${f.type}, ${f.class}) is not distinct from coalesce(${sameAdvisory.type}, ${sameAdvisory.class})`,
      ),
    )
    .orderBy(f.id);
}

export async function setPromptHashes(
  db: Executor,
  ids: number[],
  hashes: string[],
  promptConfig: string,
): Promise<void> {
  // Raw: drizzle's update cannot take its values from unnest(), and one statement per finding is
  // what this avoids.
  await db.execute(sql`
    update ${f} set llm_prompt_hash = u.hash, llm_prompt_config = ${promptConfig}
    from unnest(${sql.param(ids)}::bigint[], ${textArray(hashes)}) as u(id, hash)
    where ${f.id} = u.id`);
}

/**
 * Marks the waiting findings of one prompt as being processed and returns what the prompt is built
 * from, in one statement: the findings with that prompt in the scan of the first one claimed (every
 * scan asking a prompt has the same package set for it).
 */
export async function claimPrompt(db: Executor, promptHash: string): Promise<PromptSourceRow[]> {
  const claimed = db.$with("claimed").as(
    db
      .update(f)
      .set({ llmAnalysisStatus: "processing", llmAnalysisStartedAt: sql`now()` })
      .where(and(eq(f.llmPromptHash, promptHash), inArray(f.llmAnalysisStatus, WAITING)))
      .returning({ id: f.id, scanId: f.scanId }),
  );
  return db
    .with(claimed)
    .select(promptSource)
    .from(f)
    .innerJoin(s, eq(s.id, f.scanId))
    .leftJoin(e, eq(e.vulnerabilityId, f.vulnerabilityId))
    .where(
      and(
        eq(f.llmPromptHash, promptHash),
        eq(f.scanId, db.select({ scanId: claimed.scanId }).from(claimed).orderBy(claimed.id).limit(1)),
      ),
    )
    .orderBy(f.id);
}

/** A refresh: the stored answer to this prompt is no longer to be served, so whichever job runs next asks again. */
export async function forgetAnalysis(db: Executor, promptHash: string): Promise<void> {
  await db.delete(a).where(eq(a.promptHash, promptHash));
}

/** Re-labels findings whose stored hash no longer matches the prompt their data builds now. */
export async function movePromptHash(
  db: Executor,
  from: string,
  to: string,
  promptConfig: string,
): Promise<void> {
  await db
    .update(f)
    .set({ llmPromptHash: to, llmPromptConfig: promptConfig })
    .where(and(eq(f.llmPromptHash, from), inArray(f.llmAnalysisStatus, WAITING)));
}
