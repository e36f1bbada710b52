import type { KevEntry } from "@vulntriage/db";
import { fetchJson, SourceError } from "./fetch-json.js";

export type KevCatalogue = Map<string, KevEntry>;

const text = (value: unknown): string | null =>
  typeof value === "string" && value.trim() ? value.trim() : null;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** CISA's catalogue as a map by CVE id; entries without an id or a date added are skipped. */
function parseCatalogue(body: unknown): KevCatalogue {
  const list = (body as { vulnerabilities?: unknown })?.vulnerabilities;
  if (!Array.isArray(list)) throw new SourceError("the KEV feed has no vulnerabilities list");
  const catalogue: KevCatalogue = new Map();
  for (const item of list) {
    const entry = item as Record<string, unknown>;
    const id = text(entry.cveID)?.toUpperCase();
    const dateAdded = text(entry.dateAdded);
    if (!id || !dateAdded || !DAY.test(dateAdded)) continue;
    const dueDate = text(entry.dueDate);
    const ransomware = text(entry.knownRansomwareCampaignUse)?.toLowerCase();
    catalogue.set(id, {
      dateAdded,
      dueDate: dueDate && DAY.test(dueDate) ? dueDate : null,
      knownRansomwareCampaignUse: ransomware === "known" ? true : ransomware === "unknown" ? false : null,
      requiredAction: text(entry.requiredAction),
      vulnerabilityName: text(entry.vulnerabilityName),
    });
  }
  return catalogue;
}

/**
 * The whole KEV catalogue, fetched at most once per refresh period with a conditional GET (an
 * unchanged feed costs a 304), and kept in memory between fetches.
 */
export function createKevSource(options: { url: string; refreshMs: number; timeoutMs: number }) {
  let cached: {
    catalogue: KevCatalogue;
    fetchedAt: number;
    etag: string | null;
    modified: string | null;
  } | null = null;
  let inFlight: Promise<KevCatalogue> | null = null;

  const refresh = async (): Promise<KevCatalogue> => {
    const headers: Record<string, string> = {};
    if (cached?.etag) headers["if-none-match"] = cached.etag;
    if (cached?.modified) headers["if-modified-since"] = cached.modified;
    const answer = await fetchJson(options.url, { timeoutMs: options.timeoutMs, headers });
    if (answer.status === 304 && cached) {
      cached.fetchedAt = Date.now();
      return cached.catalogue;
    }
    const catalogue = parseCatalogue(answer.body);
    cached = {
      catalogue,
      fetchedAt: Date.now(),
      etag: answer.headers.get("etag"),
      modified: answer.headers.get("last-modified"),
    };
    return catalogue;
  };

  return {
    catalogue: async (): Promise<KevCatalogue> => {
      if (cached && Date.now() - cached.fetchedAt < options.refreshMs) return cached.catalogue;
      // Concurrent jobs share one fetch.
      inFlight ??= refresh().finally(() => {
        inFlight = null;
      });
      return inFlight;
    },
  };
}

export type KevSource = ReturnType<typeof createKevSource>;
