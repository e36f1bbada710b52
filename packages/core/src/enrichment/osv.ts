import { fetchJson, SourceError } from "./fetch-json.js";

/** A non-CVE id's CVE aliases (upper-case, de-duplicated, sorted), or why OSV gave none. */
export type OsvAnswer = { aliases: string[] } | { error: string };

const CVE = /^CVE-\d{4}-\d{4,}$/;

// fetchJson reports the status only in its message ("<host> answered <status>").
const notFound = (error: SourceError): boolean => / answered 404$/.test(error.message);

function aliasesOf(body: unknown): string[] {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new SourceError("OSV answered something other than a vulnerability record");
  const aliases = (body as { aliases?: unknown }).aliases;
  // OSV's JSON leaves an empty list out: no key is no alias.
  if (aliases === undefined || aliases === null) return [];
  if (!Array.isArray(aliases)) throw new SourceError("OSV answered aliases that are not a list");
  const cves = aliases
    .filter((alias): alias is string => typeof alias === "string")
    .map((alias) => alias.trim().toUpperCase())
    .filter((alias) => CVE.test(alias));
  return [...new Set(cves)].sort();
}

async function lookup(root: string, id: string, timeoutMs: number): Promise<OsvAnswer> {
  try {
    const { body } = await fetchJson(`${root}/v1/vulns/${encodeURIComponent(id)}`, { timeoutMs });
    return { aliases: aliasesOf(body) };
  } catch (error) {
    if (!(error instanceof SourceError)) throw error;
    // 404 is OSV's "no such id": a definite answer, not a failure.
    if (notFound(error)) return { aliases: [] };
    return { error: `OSV: ${error.message}` };
  }
}

/**
 * CVE aliases of non-CVE ids (GHSA-…, GO-…, PYSEC-…) from OSV's `GET /v1/vulns/{id}`, at most
 * `concurrency` requests at once. Each id gets its own answer: one failing id never fails the
 * others. The map follows the order of `ids`, duplicates asked once.
 */
export async function fetchOsvAliases(options: {
  /** The API root; `/v1/vulns/{id}` is appended. */
  apiRoot: string;
  ids: string[];
  timeoutMs: number;
  concurrency?: number;
}): Promise<Map<string, OsvAnswer>> {
  const ids = [...new Set(options.ids)];
  const root = options.apiRoot.replace(/\/+$/, "");
  const answers = new Map<string, OsvAnswer>(); // fills in completion order
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let id = ids[next++]; id !== undefined; id = ids[next++])
      answers.set(id, await lookup(root, id, options.timeoutMs));
  };
  const workers = Math.min(Math.max(1, options.concurrency ?? 4), ids.length);
  await Promise.all(Array.from({ length: workers }, worker));
  return new Map(ids.map((id) => [id, answers.get(id) ?? { error: "OSV: not asked" }]));
}
