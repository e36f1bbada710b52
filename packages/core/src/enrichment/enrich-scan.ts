import {
  claimStaleIds,
  copyAliasExploitation,
  type EnrichmentSource,
  listRiskSources,
  markPromptsStale,
  markScanEnriched,
  refreshScanRiskSummary,
  registerScanIds,
  setRiskScores,
  storeEpssFound,
  storeKevFound,
  storeNotListed,
  storeSourceError,
} from "@vulntriage/db";
import type { ServiceContext } from "../context.js";
import { computedRiskOf } from "../risk/risk-dto.js";
import { lookUpNvd, resolveAliases, type SourceTally } from "./aliases-and-nvd.js";
import { epssBatches, fetchEpssBatch } from "./epss.js";
import { SourceError } from "./fetch-json.js";
import type { KevSource } from "./kev.js";
import type { NvdSource } from "./nvd.js";

const HOUR = 3_600_000;

export type EnrichmentSources = {
  /** Each null when offline: no outbound request at all; every id stays `not_checked`. */
  kev: KevSource | null;
  epssUrl: string | null;
  nvd: NvdSource | null;
  osvApiRoot: string | null;
  timeoutMs: number;
  kevFreshMs: number;
  /** How long a claimed id is held by the job fetching it before another may try. */
  leaseMs: number;
  backoff: { firstMs: number; maxMs: number };
};

const EPSS_FRESH_MS = 24 * HOUR;
const CVE = /^CVE-\d{4}-\d{4,}$/;

export type EnrichedScan = {
  ids: number;
  kev: SourceTally;
  epss: SourceTally;
  osv: SourceTally;
  nvd: SourceTally;
};

/**
 * After an upload commits: gives each of the scan's vulnerability ids its row, then asks KEV and
 * EPSS about the CVEs whose answer is missing or stale — each id once for the whole fleet, since
 * concurrent jobs claim ids before fetching. A source that is down, slow or answers garbage leaves
 * `error` with the reason and a back-off; it never throws.
 */
export async function enrichScan(args: {
  ctx: ServiceContext;
  sources: EnrichmentSources;
  input: { scanId: number };
  signal?: AbortSignal;
}): Promise<EnrichedScan> {
  const { ctx, sources } = args;
  const ids = await registerScanIds(ctx.db, args.input.scanId);
  const tally = (): SourceTally => ({ checked: 0, found: 0, errors: 0 });
  const result: EnrichedScan = { ids: ids.length, kev: tally(), epss: tally(), osv: tally(), nvd: tally() };
  // Non-CVE ids (GHSA-, GO-, …) reach KEV and EPSS through their CVE aliases.
  const others = ids.filter((id) => !CVE.test(id));
  const aliases = await resolveAliases(ctx, sources, others, result.osv);
  const cves = [...new Set([...ids.filter((id) => CVE.test(id)), ...aliases])];
  const claim = (source: EnrichmentSource) => claimStaleIds(ctx.db, source, cves, sources.leaseMs);
  const failed = async (source: EnrichmentSource, claimed: string[], error: unknown) => {
    if (!(error instanceof SourceError)) throw error;
    result[source === "kev" ? "kev" : "epss"].errors += claimed.length;
    await storeSourceError(ctx.db, source, claimed, error.message, sources.backoff);
    ctx.log.warn(
      { source, ids: claimed.length, err: error.message },
      "enrichment source failed; retried later",
    );
  };

  const asked = new Set<string>();
  if (sources.kev) {
    const claimed = await claim("kev");
    for (const id of claimed) asked.add(id);
    if (claimed.length > 0) {
      try {
        const catalogue = await sources.kev.catalogue();
        const found = claimed.flatMap((id) => {
          const entry = catalogue.get(id);
          return entry ? [{ id, entry }] : [];
        });
        // A flaw that entered KEV since its analysis makes that analysis stale.
        await markPromptsStale(ctx.db, await storeKevFound(ctx.db, found, sources.kevFreshMs));
        const listed = new Set(found.map((x) => x.id));
        await storeNotListed(
          ctx.db,
          "kev",
          claimed.filter((id) => !listed.has(id)),
          sources.kevFreshMs,
        );
        result.kev = { checked: claimed.length, found: found.length, errors: 0 };
      } catch (error) {
        await failed("kev", claimed, error);
      }
    }
  }

  if (sources.epssUrl) {
    const claimed = await claim("epss");
    for (const id of claimed) asked.add(id);
    for (const batch of epssBatches(claimed)) {
      try {
        const found = await fetchEpssBatch({
          url: sources.epssUrl,
          ids: batch,
          timeoutMs: sources.timeoutMs,
        });
        await storeEpssFound(ctx.db, found, EPSS_FRESH_MS);
        const known = new Set(found.map((x) => x.id));
        await storeNotListed(
          ctx.db,
          "epss",
          batch.filter((id) => !known.has(id)),
          EPSS_FRESH_MS,
        );
        result.epss.checked += batch.length;
        result.epss.found += found.length;
      } catch (error) {
        await failed("epss", batch, error);
      }
    }
  }
  await copyAliasExploitation(ctx.db, others);
  // The stored risk follows what was learnt: this scan's findings, and every other finding of an id
  // asked about now.
  const risks = await listRiskSources(ctx.db, { scanId: args.input.scanId, vulnerabilityIds: [...asked] });
  await setRiskScores(
    ctx.db,
    risks.map((r) => r.id),
    risks.map((r) => computedRiskOf(r)),
  );
  await refreshScanRiskSummary(ctx.db, [...new Set([args.input.scanId, ...risks.map((r) => r.scanId)])]);
  await markScanEnriched(ctx.db, args.input.scanId);

  // Last, since NVD's rate limit makes it slow: the scan's analysis does not wait for it.
  const fromNvd = await lookUpNvd(ctx, sources, args.input.scanId, result.nvd, args.signal);
  if (fromNvd.length > 0) {
    const changed = await listRiskSources(ctx.db, { scanId: args.input.scanId, vulnerabilityIds: fromNvd });
    await setRiskScores(
      ctx.db,
      changed.map((r) => r.id),
      changed.map((r) => computedRiskOf(r)),
    );
    await refreshScanRiskSummary(ctx.db, [...new Set(changed.map((r) => r.scanId))]);
  }
  return result;
}
