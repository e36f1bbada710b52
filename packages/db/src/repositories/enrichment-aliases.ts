import { eq, sql } from "drizzle-orm";
import type { Executor } from "../client.js";
import { cveEnrichment as e, containerFindings as f, type NvdRecord } from "../schema/index.js";
import { textArray } from "./sql-params.js";

// What NVD and OSV add: CVSS for the CVEs a report left without, and the CVE aliases through which
// KEV and EPSS reach GHSA-, GO- and other ids.

/** The scan's CVEs whose report entries carry no CVSS v3 or v4 score from any source: NVD may have one. */
export async function listCvesWithoutCvss(db: Executor, scanId: number): Promise<string[]> {
  // Raw: a JSON path test over every source of the cvss map, grouped per id.
  const result = await db.execute<{ id: string }>(sql`
    select vulnerability_id as id from ${f}
    where scan_id = ${scanId} and vulnerability_id like 'CVE-%'
    group by vulnerability_id
    having bool_and(not jsonb_path_exists(coalesce(cvss, '{}'::jsonb), '$.*.V3Score')
                and not jsonb_path_exists(coalesce(cvss, '{}'::jsonb), '$.*.V40Score'))`);
  return result.rows.map((r) => r.id);
}

/** Records NVD's record for one CVE. */
export async function storeNvdFound(
  db: Executor,
  id: string,
  record: NvdRecord,
  freshForMs: number,
): Promise<void> {
  await db
    .update(e)
    .set({
      nvd: record,
      nvdOutcome: "found",
      nvdCheckedAt: sql`now()`,
      nvdError: null,
      nvdFailures: 0,
      nvdFreshUntil: sql`now() + ${sql.param(freshForMs)} * interval '1 millisecond'`,
    })
    .where(eq(e.vulnerabilityId, id));
}

/** Records OSV's CVE aliases of non-CVE ids, and gives each alias its own row for KEV and EPSS. */
export async function storeAliases(
  db: Executor,
  answers: { id: string; aliases: string[] }[],
  freshForMs: number,
): Promise<void> {
  if (answers.length === 0) return;
  const aliases = [...new Set(answers.flatMap((a) => a.aliases))];
  if (aliases.length > 0) {
    await db.execute(sql`
      insert into ${e} (vulnerability_id) select unnest(${textArray(aliases)}) on conflict do nothing`);
  }
  // Raw: per-row arrays from unnest(), as for KEV above.
  await db.execute(sql`
    update ${e} set aliases = string_to_array(u.aliases, ',')::text[],
      osv_outcome = case when u.aliases = '' then 'not_listed' else 'found' end,
      osv_checked_at = now(), osv_error = null, osv_failures = 0,
      osv_fresh_until = now() + ${sql.param(freshForMs)} * interval '1 millisecond'
    from unnest(${textArray(answers.map((a) => a.id))}, ${textArray(answers.map((a) => a.aliases.join(",")))})
      as u(id, aliases)
    where ${e.vulnerabilityId} = u.id`);
}

/** The CVE aliases recorded for these ids. */
export async function aliasesOf(db: Executor, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select({ aliases: e.aliases })
    .from(e)
    .where(sql`${e.vulnerabilityId} = any(${textArray(ids)})`);
  return [...new Set(rows.flatMap((r) => r.aliases))];
}

/**
 * A non-CVE id takes its CVE aliases' exploitation: the highest EPSS, and KEV when any alias is
 * listed (the earliest entry), as DefectDojo does for multi-CVE findings.
 */
export async function copyAliasExploitation(db: Executor, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  // Raw: aggregates over each row's alias array, which drizzle's builder cannot express.
  await db.execute(sql`
    update ${e} t set
      epss_score = a.epss_score, epss_percentile = a.epss_percentile, epss_date = a.epss_date,
      epss_outcome = a.epss_outcome, epss_checked_at = a.epss_checked_at, epss_fresh_until = a.epss_fresh_until,
      kev = a.kev, kev_outcome = a.kev_outcome, kev_checked_at = a.kev_checked_at, kev_fresh_until = a.kev_fresh_until,
      epss_error = case when a.epss_outcome = 'error' then a.epss_error end,
      kev_error = case when a.kev_outcome = 'error' then a.kev_error end
    from (
      select src.vulnerability_id as id,
        (array_agg(x.epss_score order by x.epss_score desc nulls last))[1] as epss_score,
        (array_agg(x.epss_percentile order by x.epss_score desc nulls last))[1] as epss_percentile,
        (array_agg(x.epss_date order by x.epss_score desc nulls last))[1] as epss_date,
        case when bool_or(x.epss_outcome = 'found') then 'found'
             when bool_and(x.epss_outcome = 'not_listed') then 'not_listed' else 'error' end as epss_outcome,
        max(x.epss_checked_at) as epss_checked_at, min(x.epss_fresh_until) as epss_fresh_until,
        (array_agg(x.kev order by x.kev->>'dateAdded') filter (where x.kev_outcome = 'found'))[1] as kev,
        case when bool_or(x.kev_outcome = 'found') then 'found'
             when bool_and(x.kev_outcome = 'not_listed') then 'not_listed' else 'error' end as kev_outcome,
        max(x.kev_checked_at) as kev_checked_at, min(x.kev_fresh_until) as kev_fresh_until,
        -- An error names its alias: "CVE-…: <reason>" (the reason of an alias never asked is that).
        (array_agg(x.vulnerability_id || ': ' || coalesce(x.epss_error, 'not checked yet') order by x.vulnerability_id)
          filter (where x.epss_outcome not in ('found', 'not_listed')))[1] as epss_error,
        (array_agg(x.vulnerability_id || ': ' || coalesce(x.kev_error, 'not checked yet') order by x.vulnerability_id)
          filter (where x.kev_outcome not in ('found', 'not_listed')))[1] as kev_error
      from ${e} src join ${e} x on x.vulnerability_id = any(src.aliases)
      where src.vulnerability_id = any(${textArray(ids)})
      group by src.vulnerability_id
    ) a
    where t.vulnerability_id = a.id`);
}
