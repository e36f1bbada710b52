import type { EpssFound } from "@vulntriage/db";
import { fetchJson, SourceError } from "./fetch-json.js";

// FIRST caps the whole `cve=` list at 2,000 characters.
const MAX_LIST_CHARS = 2_000;
const CVE = /^CVE-\d{4}-\d{4,}$/;

/** CVE ids in batches whose comma-joined list stays within EPSS's limit. */
export function epssBatches(ids: string[]): string[][] {
  const batches: string[][] = [];
  let batch: string[] = [];
  let length = 0;
  for (const id of ids) {
    if (!CVE.test(id)) continue;
    const added = (batch.length > 0 ? 1 : 0) + id.length;
    if (batch.length > 0 && length + added > MAX_LIST_CHARS) {
      batches.push(batch);
      batch = [];
      length = 0;
    }
    length += batch.length > 0 ? id.length + 1 : id.length;
    batch.push(id);
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

const probability = (value: unknown): number | null => {
  const n = typeof value === "string" ? Number(value) : typeof value === "number" ? value : Number.NaN;
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : null;
};

/** One batch: the scores EPSS knows (its numbers arrive as strings); the others are not listed. */
export async function fetchEpssBatch(options: {
  url: string;
  ids: string[];
  timeoutMs: number;
}): Promise<EpssFound[]> {
  const query = new URL(options.url);
  query.searchParams.set("cve", options.ids.join(","));
  // The answer is paginated at 100 rows by default: ask for the whole batch at once.
  query.searchParams.set("limit", String(options.ids.length));
  const { body } = await fetchJson(query.toString(), { timeoutMs: options.timeoutMs });
  const data = (body as { data?: unknown })?.data;
  if (!Array.isArray(data)) throw new SourceError("the EPSS answer has no data list");
  const wanted = new Set(options.ids);
  const found: EpssFound[] = [];
  for (const row of data as Record<string, unknown>[]) {
    const id = typeof row.cve === "string" ? row.cve.toUpperCase() : "";
    const score = probability(row.epss);
    const percentile = probability(row.percentile);
    const date = typeof row.date === "string" && /^\d{4}-\d{2}-\d{2}$/.test(row.date) ? row.date : null;
    if (!wanted.has(id) || score === null || percentile === null || date === null) continue;
    found.push({ id, score, percentile, date });
  }
  return found;
}
