import { and, eq, isNotNull, isNull, sql } from "drizzle-orm";
import type { Executor } from "../client.js";
import {
  cveEnrichment as e,
  containerFindings as f,
  type KevEntry,
  containerScans as s,
} from "../schema/index.js";
import { textArray } from "./sql-params.js";

export type EnrichmentSource = "kev" | "epss" | "nvd" | "osv";

// Column names per source: the statements below are the same for every source.
const columns = (source: EnrichmentSource) => ({
  outcome: sql.raw(`${source}_outcome`),
  checkedAt: sql.raw(`${source}_checked_at`),
  freshUntil: sql.raw(`${source}_fresh_until`),
  error: sql.raw(`${source}_error`),
  failures: sql.raw(`${source}_failures`),
});

/** Gives every vulnerability id of a scan its row (once for the fleet); returns the scan's ids. */
export async function registerScanIds(db: Executor, scanId: number): Promise<string[]> {
  const ids = await db
    .selectDistinct({ id: f.vulnerabilityId })
    .from(f)
    .where(and(eq(f.scanId, scanId), isNotNull(f.vulnerabilityId)));
  const values = ids.map((r) => r.id as string);
  if (values.length > 0) {
    // Raw: one bound array rather than one parameter per id (a scan may hold tens of thousands).
    await db.execute(sql`
      insert into ${e} (vulnerability_id) select unnest(${textArray(values)}) on conflict do nothing`);
  }
  return values;
}

/** The scan's ids have their rows: the reconciler need not queue its enrichment again. */
export async function markScanEnriched(db: Executor, scanId: number): Promise<void> {
  await db.update(s).set({ enrichedAt: sql`now()` }).where(eq(s.id, scanId));
}

/** Scans whose enrichment job never finished (lost with Redis, say), oldest first. */
export async function findUnenrichedScans(db: Executor, limit: number): Promise<number[]> {
  const rows = await db.select({ id: s.id }).from(s).where(isNull(s.enrichedAt)).orderBy(s.id).limit(limit);
  return rows.map((r) => r.id);
}

/**
 * Takes the ids of `ids` whose answer from `source` is missing or stale, for `leaseMs`: a
 * concurrent job sees them as fresh and never fetches them too. Row locks make the claim atomic.
 */
export async function claimStaleIds(
  db: Executor,
  source: EnrichmentSource,
  ids: string[],
  leaseMs: number,
): Promise<string[]> {
  if (ids.length === 0) return [];
  const c = columns(source);
  // Raw: the column is chosen by source, which drizzle's typed builder cannot express.
  const result = await db.execute<{ id: string }>(sql`
    update ${e} set ${c.freshUntil} = now() + ${sql.param(leaseMs)} * interval '1 millisecond'
    where ${e.vulnerabilityId} = any(${textArray(ids)})
      and (${c.freshUntil} is null or ${c.freshUntil} < now())
    returning ${e.vulnerabilityId} as id`);
  return result.rows.map((r) => r.id);
}

/** Records "checked, not listed" for these ids. */
export async function storeNotListed(
  db: Executor,
  source: EnrichmentSource,
  ids: string[],
  freshForMs: number,
): Promise<void> {
  if (ids.length === 0) return;
  const c = columns(source);
  await db.execute(sql`
    update ${e} set ${c.outcome} = 'not_listed', ${c.checkedAt} = now(), ${c.error} = null, ${c.failures} = 0,
      ${c.freshUntil} = now() + ${sql.param(freshForMs)} * interval '1 millisecond'
    where ${e.vulnerabilityId} = any(${textArray(ids)})`);
}

/**
 * Records a failed lookup: the reason, and a back-off that grows with consecutive failures before
 * the source is asked about these ids again. What an earlier check found is kept.
 */
export async function storeSourceError(
  db: Executor,
  source: EnrichmentSource,
  ids: string[],
  error: string,
  backoff: { firstMs: number; maxMs: number },
): Promise<void> {
  if (ids.length === 0) return;
  const c = columns(source);
  await db.execute(sql`
    update ${e} set ${c.outcome} = case when ${c.outcome} = 'found' then 'found' else 'error' end,
      ${c.error} = ${error.slice(0, 500)}, ${c.checkedAt} = now(), ${c.failures} = least(${c.failures} + 1, 20),
      ${c.freshUntil} = now() + least(${sql.param(backoff.firstMs)} * power(2, ${c.failures}), ${sql.param(backoff.maxMs)})
        * interval '1 millisecond'
    where ${e.vulnerabilityId} = any(${textArray(ids)})`);
}

export type KevFound = { id: string; entry: KevEntry };

/**
 * Records KEV entries for the ids the catalogue lists; returns the ids that were not listed before
 * (newly exploited: their stored analyses are stale).
 */
export async function storeKevFound(db: Executor, found: KevFound[], freshForMs: number): Promise<string[]> {
  if (found.length === 0) return [];
  // Raw: one statement for the whole batch needs update … from unnest(), which drizzle cannot build;
  // the join reads each row's outcome before this update.
  const result = await db.execute<{ id: string; before: string }>(sql`
    update ${e} set kev = u.entry, kev_outcome = 'found', kev_checked_at = now(), kev_error = null,
      kev_failures = 0, kev_fresh_until = now() + ${sql.param(freshForMs)} * interval '1 millisecond'
    from (
      select n.id, n.entry, old.kev_outcome as before
      from unnest(${textArray(found.map((x) => x.id))}, ${sql.param(found.map((x) => JSON.stringify(x.entry)))}::jsonb[])
        as n(id, entry)
      join ${e} old on old.vulnerability_id = n.id
    ) u
    where ${e.vulnerabilityId} = u.id
    returning u.id, u.before`);
  return result.rows.filter((r) => r.before !== "found").map((r) => r.id);
}

/**
 * Makes the prompts of these vulnerabilities' findings stale, keeping their answers: the next
 * request or scan builds the prompt again (now saying the flaw is exploited) and asks it.
 */
export async function markPromptsStale(db: Executor, vulnerabilityIds: string[]): Promise<void> {
  if (vulnerabilityIds.length === 0) return;
  await db
    .update(f)
    .set({ llmPromptConfig: null })
    .where(and(sql`${f.vulnerabilityId} = any(${textArray(vulnerabilityIds)})`, isNotNull(f.llmPromptHash)));
}

export type EpssFound = { id: string; score: number; percentile: number; date: string };

/** Records EPSS scores for the ids EPSS knows. */
export async function storeEpssFound(db: Executor, found: EpssFound[], freshForMs: number): Promise<void> {
  if (found.length === 0) return;
  // Raw: as above, one statement per batch.
  await db.execute(sql`
    update ${e} set epss_score = u.score, epss_percentile = u.percentile, epss_date = u.day,
      epss_outcome = 'found', epss_checked_at = now(), epss_error = null, epss_failures = 0,
      epss_fresh_until = now() + ${sql.param(freshForMs)} * interval '1 millisecond'
    from unnest(${textArray(found.map((x) => x.id))}, ${sql.param(found.map((x) => x.score))}::float8[],
                ${sql.param(found.map((x) => x.percentile))}::float8[], ${sql.param(found.map((x) => x.date))}::date[])
      as u(id, score, percentile, day)
    where ${e.vulnerabilityId} = u.id`);
}

export type EnrichmentRow = typeof e.$inferSelect;

export async function findEnrichment(
  db: Executor,
  vulnerabilityId: string,
): Promise<EnrichmentRow | undefined> {
  const [row] = await db.select().from(e).where(eq(e.vulnerabilityId, vulnerabilityId));
  return row;
}

/** Whether any scan has a finding of this vulnerability id. */
export async function isVulnerabilityIdSeen(db: Executor, vulnerabilityId: string): Promise<boolean> {
  const [row] = await db.select({ id: f.id }).from(f).where(eq(f.vulnerabilityId, vulnerabilityId)).limit(1);
  return row !== undefined;
}

/** Recounts the scans' KEV-listed vulnerabilities and highest stored risk, after their findings changed. */
export async function refreshScanRiskSummary(db: Executor, scanIds: number[]): Promise<void> {
  if (scanIds.length === 0) return;
  // Raw: correlated sub-selects in an update's SET, which drizzle's builder cannot express.
  await db.execute(sql`
    update ${s} set
      kev_count = (select count(distinct f.vulnerability_id)::int from ${f} f
                   join ${e} x on x.vulnerability_id = f.vulnerability_id
                   where f.scan_id = ${s.id} and x.kev_outcome = 'found'),
      max_risk_score = (select max(f.risk_score) from ${f} f where f.scan_id = ${s.id})
    where ${s.id} = any(${sql.param(scanIds)}::bigint[])`);
}

/**
 * Scans holding ids whose KEV, EPSS, NVD or OSV answer has gone stale (an error's back-off is over
 * too): enriching them again refreshes those ids, and only those. Never-asked ids (offline) are not
 * stale.
 */
export async function findScansWithStaleIds(db: Executor, limit: number): Promise<number[]> {
  // Raw: a lateral pick of one finding per stale id, which drizzle's builder cannot express.
  const result = await db.execute<{ scan_id: number }>(sql`
    select distinct x.scan_id from (
      select vulnerability_id from ${e}
      where kev_fresh_until < now() or epss_fresh_until < now() or nvd_fresh_until < now() or osv_fresh_until < now()
      limit ${limit * 20}
    ) stale
    cross join lateral (
      select scan_id from ${f} where ${f.vulnerabilityId} = stale.vulnerability_id order by scan_id desc limit 1
    ) x
    limit ${limit}`);
  return result.rows.map((r) => Number(r.scan_id));
}
