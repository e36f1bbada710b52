import { sql } from "drizzle-orm";
import type { Database } from "../client.js";

// Analysis state lives on the findings (status, prompt hash) and in llm_analyses (one row per
// distinct prompt). These statements move it along set-wise: one statement per step, never a
// statement per finding.

export type PromptSourceRow = {
  id: number;
  severityRank: number;
  vulnerabilityId: string | null;
  title: string | null;
  description: string | null;
  severity: string;
  cvss: unknown;
  cweIds: string[] | null;
  pkgName: string;
  installedVersion: string | null;
  fixedVersion: string | null;
  status: string | null;
  packageType: string | null;
  osFamily: string | null;
  osName: string | null;
};

const PROMPT_SOURCE_COLUMNS = sql`f.id, f.severity_rank as "severityRank", f.vulnerability_id as "vulnerabilityId",
  f.title, f.cve_data->>'Description' as description, f.severity, f.cvss, f.cwe_ids as "cweIds",
  f.pkg_name as "pkgName", f.installed_version as "installedVersion", f.fixed_version as "fixedVersion",
  f.status, coalesce(f.type, f.class) as "packageType", s.os_family as "osFamily", s.os_name as "osName"`;

/** Pending findings of a scan whose prompt hash is missing or was computed under other settings. */
export async function listUnpreparedFindings(
  db: Database,
  scanId: number,
  promptConfig: string,
): Promise<PromptSourceRow[]> {
  const result = await db.execute<PromptSourceRow>(sql`
    select ${PROMPT_SOURCE_COLUMNS}
    from container_findings f join container_scans s on s.id = f.scan_id
    where f.scan_id = ${scanId} and f.llm_analysis_status = 'pending'
      and (f.llm_prompt_hash is null or f.llm_prompt_config is distinct from ${promptConfig})`);
  return result.rows;
}

export async function loadPromptSource(
  db: Database,
  findingId: number,
): Promise<PromptSourceRow | undefined> {
  const result = await db.execute<PromptSourceRow>(sql`
    select ${PROMPT_SOURCE_COLUMNS}
    from container_findings f join container_scans s on s.id = f.scan_id
    where f.id = ${findingId}`);
  return result.rows[0];
}

export async function setPromptHashes(
  db: Database,
  ids: number[],
  hashes: string[],
  promptConfig: string,
): Promise<void> {
  await db.execute(sql`
    update container_findings f
    set llm_prompt_hash = u.hash, llm_prompt_config = ${promptConfig}
    from unnest(${`{${ids.join(",")}}`}::bigint[], ${`{${hashes.join(",")}}`}::text[]) as u(id, hash)
    where f.id = u.id`);
}

const COPY_ANALYSIS = sql`llm_analysis_summary = a.summary,
  llm_analysis_recommendations = a.recommendations,
  llm_analysis_risk_score = a.risk_score,
  llm_analysis_timestamp = a.created_at,
  llm_analysis_prompt_hash = a.prompt_hash,
  llm_analysis_model = a.model,
  llm_analysis_error = null,
  llm_analysis_status = 'completed'`;

/**
 * Completes every waiting finding whose prompt is already answered in the cache; returns the
 * prompt hashes that were answered.
 */
export async function completeFromCache(db: Database, hashes: string[]): Promise<Set<string>> {
  if (hashes.length === 0) return new Set();
  const result = await db.execute<{ hash: string }>(sql`
    with answered as (
      select prompt_hash from llm_analyses
      where prompt_hash = any(${`{${hashes.join(",")}}`}::text[]) and status = 'completed'
    ), updated as (
      update container_findings f set ${COPY_ANALYSIS}
      from llm_analyses a
      where a.prompt_hash in (select prompt_hash from answered) and f.llm_prompt_hash = a.prompt_hash
        and f.llm_analysis_status in ('pending', 'processing')
    )
    select prompt_hash as hash from answered`);
  return new Set(result.rows.map((r) => r.hash));
}

/**
 * Marks the waiting findings of one prompt as being processed and returns what the prompt is built
 * from (any one of them: they share the prompt), in one statement.
 */
export async function claimPrompt(db: Database, promptHash: string): Promise<PromptSourceRow | undefined> {
  const result = await db.execute<PromptSourceRow>(sql`
    with claimed as (
      update container_findings set llm_analysis_status = 'processing', llm_analysis_started_at = now()
      where llm_prompt_hash = ${promptHash} and llm_analysis_status in ('pending', 'processing')
      returning id
    )
    select ${PROMPT_SOURCE_COLUMNS}
    from container_findings f join container_scans s on s.id = f.scan_id
    where f.id = (select min(id) from claimed)`);
  const row = result.rows[0];
  return row && { ...row, id: Number(row.id) };
}

/** A refresh: the stored answer to this prompt is no longer to be served, so whichever job runs next asks again. */
export async function forgetAnalysis(db: Database, promptHash: string): Promise<void> {
  await db.execute(sql`delete from llm_analyses where prompt_hash = ${promptHash}`);
}

/** Re-labels findings whose stored hash no longer matches the prompt their data builds now. */
export async function movePromptHash(
  db: Database,
  from: string,
  to: string,
  promptConfig: string,
): Promise<void> {
  await db.execute(sql`
    update container_findings set llm_prompt_hash = ${to}, llm_prompt_config = ${promptConfig}
    where llm_prompt_hash = ${from} and llm_analysis_status in ('pending', 'processing')`);
}

export type CompletedAnalysis = {
  promptHash: string;
  templateVersion: string;
  model: string;
  summary: string;
  recommendations: string[];
  riskScore: number;
  rawOutput: string;
  doneReason: string | null;
  promptTokens: number | null;
  outputTokens: number | null;
  durationMs: number | null;
};

/** Stores the answer once and copies it to every finding with that prompt, in one statement. */
export async function storeCompletedAnalysis(db: Database, analysis: CompletedAnalysis): Promise<number> {
  const result = await db.execute(sql`
    with stored as (
      insert into llm_analyses (prompt_hash, status, template_version, model, summary, recommendations,
        risk_score, error, raw_output, done_reason, prompt_tokens, output_tokens, duration_ms, created_at)
      values (${analysis.promptHash}, 'completed', ${analysis.templateVersion}, ${analysis.model},
        ${analysis.summary}, ${JSON.stringify(analysis.recommendations)}::jsonb, ${analysis.riskScore}, null,
        ${analysis.rawOutput}, ${analysis.doneReason}, ${analysis.promptTokens}, ${analysis.outputTokens},
        ${analysis.durationMs}, now())
      on conflict (prompt_hash) do update set status = excluded.status, template_version = excluded.template_version,
        model = excluded.model, summary = excluded.summary, recommendations = excluded.recommendations,
        risk_score = excluded.risk_score, error = null, raw_output = excluded.raw_output,
        done_reason = excluded.done_reason, prompt_tokens = excluded.prompt_tokens,
        output_tokens = excluded.output_tokens, duration_ms = excluded.duration_ms, created_at = now()
      returning *
    )
    update container_findings f set ${COPY_ANALYSIS}
    from stored a
    -- One prompt, one result: every finding that asked it shows the latest answer.
    where f.llm_prompt_hash = a.prompt_hash`);
  return result.rowCount ?? 0;
}

export type FailedAnalysis = {
  promptHash: string;
  templateVersion: string;
  model: string;
  error: string;
  /** Present when the model answered but the answer was unusable: kept for inspection. */
  rawOutput?: string | undefined;
  doneReason?: string | null | undefined;
};

export async function storeFailedAnalysis(db: Database, failure: FailedAnalysis): Promise<number> {
  if (failure.rawOutput !== undefined) {
    await db.execute(sql`
      insert into llm_analyses (prompt_hash, status, template_version, model, error, raw_output, done_reason, created_at)
      values (${failure.promptHash}, 'failed', ${failure.templateVersion}, ${failure.model}, ${failure.error},
        ${failure.rawOutput}, ${failure.doneReason ?? null}, now())
      on conflict (prompt_hash) do update set status = 'failed', error = excluded.error,
        raw_output = excluded.raw_output, done_reason = excluded.done_reason, created_at = now()
      where llm_analyses.status = 'failed'`);
  }
  const result = await db.execute(sql`
    update container_findings set llm_analysis_status = 'failed', llm_analysis_error = ${failure.error},
      llm_analysis_prompt_hash = ${failure.promptHash}, llm_analysis_model = ${failure.model},
      llm_analysis_timestamp = now()
    where llm_prompt_hash = ${failure.promptHash} and llm_analysis_status in ('pending', 'processing')`);
  return result.rowCount ?? 0;
}

export type AnalysisState = {
  id: number;
  status: string | null;
  promptHash: string | null;
  promptConfig: string | null;
  analysisPromptHash: string | null;
  summary: string | null;
  recommendations: string[] | null;
  riskScore: number | null;
  analyzedAt: Date | null;
  error: string | null;
  model: string | null;
};

// The analyze endpoint's hot path: a named (prepared once per connection) primary-key read of
// the finding's own small columns, with no join and no rebuilt prompt.
const ANALYSIS_STATE_QUERY = {
  name: "vulntriage-analysis-state",
  text: `select id, llm_analysis_status as status, llm_prompt_hash as "promptHash",
      llm_prompt_config as "promptConfig", llm_analysis_prompt_hash as "analysisPromptHash",
      llm_analysis_summary as summary, llm_analysis_recommendations as recommendations,
      llm_analysis_risk_score as "riskScore", llm_analysis_timestamp as "analyzedAt",
      llm_analysis_error as error, llm_analysis_model as model
    from container_findings where id = $1`,
};

/** Everything the analyze endpoint answers with, by primary key, without the finding's bulky data. */
export async function getAnalysisState(db: Database, findingId: number): Promise<AnalysisState | undefined> {
  const result = await db.$client.query<AnalysisState>({ ...ANALYSIS_STATE_QUERY, values: [findingId] });
  return result.rows[0];
}

export async function markFindingPending(
  db: Database,
  findingId: number,
  promptHash: string,
  promptConfig: string,
): Promise<void> {
  await db.execute(sql`
    update container_findings set llm_analysis_status = 'pending', llm_prompt_hash = ${promptHash},
      llm_prompt_config = ${promptConfig}, llm_analysis_error = null, llm_analysis_started_at = null
    where id = ${findingId}`);
}

/** Scans with pending findings that still need their prompts computed. */
export async function findScansToPrepare(db: Database, promptConfig: string): Promise<number[]> {
  const result = await db.execute<{ scanId: number }>(sql`
    select distinct scan_id as "scanId" from container_findings
    where llm_analysis_status = 'pending'
      and (llm_prompt_hash is null or llm_prompt_config is distinct from ${promptConfig})`);
  return result.rows.map((r) => Number(r.scanId));
}

/** The distinct pending prompts of one scan, with the most severe finding's rank for each. */
export async function findPendingPromptsOfScan(
  db: Database,
  scanId: number,
  promptConfig: string,
): Promise<{ promptHash: string; severityRank: number }[]> {
  const result = await db.execute<{ promptHash: string; severityRank: number }>(sql`
    select llm_prompt_hash as "promptHash", min(severity_rank)::int as "severityRank" from container_findings
    where scan_id = ${scanId} and llm_analysis_status = 'pending' and llm_prompt_hash is not null
      and llm_prompt_config = ${promptConfig}
    group by llm_prompt_hash`);
  return result.rows;
}

/** Prompts someone waits for: pending ones, and processing ones whose worker went silent. */
export async function findOpenPrompts(
  db: Database,
  promptConfig: string,
  staleBefore: Date,
): Promise<{ promptHash: string; severityRank: number }[]> {
  const result = await db.execute<{ promptHash: string; severityRank: number }>(sql`
    select llm_prompt_hash as "promptHash", min(severity_rank)::int as "severityRank" from container_findings
    where llm_prompt_hash is not null and llm_prompt_config = ${promptConfig}
      and (llm_analysis_status = 'pending'
        or (llm_analysis_status = 'processing' and llm_analysis_started_at < ${staleBefore.toISOString()}::timestamptz))
    group by llm_prompt_hash`);
  return result.rows;
}
