import type { EnrichmentConfig } from "../config.js";
import type { EnrichmentSources } from "./enrich-scan.js";
import { createKevSource } from "./kev.js";
import { createNvdSource } from "./nvd.js";
import type { SharedStore } from "./shared-window.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
// Every request to a source ends within this; a slow source is an error, never a held job.
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * What the worker asks, from the configuration: nothing at all when offline. `shared` holds what
 * the fleet's workers share: KEV's catalogue and NVD's rate-limit window.
 */
export function enrichmentSources(config: EnrichmentConfig, shared: SharedStore): EnrichmentSources {
  const online = config.mode === "online";
  return {
    kev: online
      ? createKevSource({
          url: config.kevUrl,
          refreshMs: config.kevRefreshHours * HOUR,
          timeoutMs: REQUEST_TIMEOUT_MS,
          shared,
        })
      : null,
    epssUrl: online ? config.epssApiUrl : null,
    nvd: online
      ? createNvdSource({
          url: config.nvdApiUrl,
          apiKey: config.nvdApiKey,
          timeoutMs: REQUEST_TIMEOUT_MS,
          shared,
        })
      : null,
    osvApiRoot: online ? config.osvApiUrl : null,
    timeoutMs: REQUEST_TIMEOUT_MS,
    kevFreshMs: config.kevRefreshHours * HOUR,
    leaseMs: 5 * MINUTE,
    backoff: { firstMs: 5 * MINUTE, maxMs: 6 * HOUR },
  };
}
