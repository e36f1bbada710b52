import {
  aliasesOf,
  claimStaleIds,
  listCvesWithoutCvss,
  storeAliases,
  storeNotListed,
  storeNvdFound,
  storeSourceError,
} from "@vulntriage/db";
import type { ServiceContext } from "../context.js";
import type { NvdSource } from "./nvd.js";
import { fetchOsvAliases } from "./osv.js";

const WEEK = 7 * 24 * 3_600_000;

export type SourceTally = { checked: number; found: number; errors: number };

type Settings = {
  osvApiRoot: string | null;
  nvd: NvdSource | null;
  timeoutMs: number;
  leaseMs: number;
  backoff: { firstMs: number; maxMs: number };
};

/**
 * Asks OSV for the CVE aliases of the non-CVE ids whose answer is stale; answers the CVE aliases
 * of all of them (stored ones too), so that KEV and EPSS reach them.
 */
export async function resolveAliases(
  ctx: ServiceContext,
  settings: Settings,
  ids: string[],
  tally: SourceTally,
): Promise<string[]> {
  if (settings.osvApiRoot && ids.length > 0) {
    const claimed = await claimStaleIds(ctx.db, "osv", ids, settings.leaseMs);
    if (claimed.length > 0) {
      const answers = await fetchOsvAliases({
        apiRoot: settings.osvApiRoot,
        ids: claimed,
        timeoutMs: settings.timeoutMs,
      });
      const found: { id: string; aliases: string[] }[] = [];
      const errors = new Map<string, string[]>();
      for (const id of claimed) {
        const answer = answers.get(id) ?? { error: "OSV gave no answer" };
        if ("aliases" in answer) found.push({ id, aliases: answer.aliases });
        else errors.set(answer.error, [...(errors.get(answer.error) ?? []), id]);
      }
      await storeAliases(ctx.db, found, WEEK);
      for (const [error, failed] of errors)
        await storeSourceError(ctx.db, "osv", failed, error, settings.backoff);
      tally.checked += claimed.length;
      tally.found += found.filter((f) => f.aliases.length > 0).length;
      tally.errors += claimed.length - found.length;
    }
  }
  return aliasesOf(ctx.db, ids);
}

/**
 * NVD, only for the scan's CVEs whose report carries no CVSS v3 or v4: one id claimed at a time,
 * right before its lookup, since NVD's rate limit makes a batch slower than any lease. Answers the
 * ids whose NVD answer changed.
 */
export async function lookUpNvd(
  ctx: ServiceContext,
  settings: Settings,
  scanId: number,
  tally: SourceTally,
  signal?: AbortSignal,
): Promise<string[]> {
  const { nvd } = settings;
  if (!nvd) return [];
  const changed: string[] = [];
  for (const id of await listCvesWithoutCvss(ctx.db, scanId)) {
    if (signal?.aborted) break;
    if ((await claimStaleIds(ctx.db, "nvd", [id], settings.leaseMs)).length === 0) continue;
    tally.checked++;
    try {
      const record = await nvd.lookup(id, signal);
      if (record) {
        await storeNvdFound(ctx.db, id, record, WEEK);
        tally.found++;
      } else {
        await storeNotListed(ctx.db, "nvd", [id], WEEK);
      }
      changed.push(id);
    } catch (error) {
      if (signal?.aborted) break;
      tally.errors++;
      await storeSourceError(ctx.db, "nvd", [id], (error as Error).message, settings.backoff);
    }
  }
  return changed;
}
