/**
 * Stub of the NVD CVE API 2.0 (`GET /rest/json/cves/2.0`), per /work/shared/notes/enrichment.md §4,
 * including its rolling-window rate limit (5 per 30 s, 50 with a valid `apiKey` header), so a
 * client's pacing is tested against the rule rather than against luck. Records: stub-nvd-records.ts.
 */
import type { NvdCve } from "./stub-nvd-records.js";
import { defaultNvdRecords } from "./stub-nvd-records.js";
import type { StubBase, StubRequest, StubResponse } from "./stub-server.js";
import { extendStub, startStubServer } from "./stub-server.js";

export interface StubNvdOptions {
  /** Default: `defaultNvdRecords()`. */
  records?: readonly NvdCve[];
  /** The one valid key; any other `apiKey` header gets 404 as NVD answers. Default: none valid. */
  apiKey?: string;
  /** Requests per window without a key (default 5). */
  limit?: number;
  /** Requests per window with the valid key (default 50). */
  limitWithKey?: number;
  /** Rolling window length (default 30,000 ms); tests shorten it. */
  windowMs?: number;
  /** Status past the limit (default 403, as NVD; 429 and 503 also seen behind its CDN). */
  limitStatus?: 403 | 429 | 503;
}

export interface StubNvd extends StubBase {
  /** The endpoint itself, as NVD_API_URL: `${url}/rest/json/cves/2.0`. */
  readonly endpoint: string;
  readonly windowMs: number;
  /** Requests to the endpoint (any outcome). */
  readonly calls: number;
  /** Refused for exceeding the window. */
  readonly rateLimited: number;
  /** Refused with 404 for a wrong apiKey. */
  readonly badKey: number;
  /** The most endpoint requests (any outcome) that arrived within one window: what a polite client keeps ≤ limit. */
  readonly peakInWindow: number;
  setRecords(records: readonly NvdCve[]): void;
}

const PATH = "/rest/json/cves/2.0";
const MAX_PAGE = 2000;

export async function startStubNvd(options: StubNvdOptions = {}): Promise<StubNvd> {
  let records = [...(options.records ?? defaultNvdRecords())];
  const windowMs = options.windowMs ?? 30_000;
  const limitStatus = options.limitStatus ?? 403;
  // Admitted requests' times per caller (one anonymous caller, one per key); refusals take no slot.
  const admitted = new Map<string, number[]>();
  let calls = 0;
  let rateLimited = 0;
  let badKey = 0;

  const handle = (req: StubRequest): StubResponse => {
    if (req.path !== PATH || req.method !== "GET") return { status: 404 };
    calls++;
    const key = req.headers.apikey;
    if (key !== undefined && key !== options.apiKey) {
      badKey++;
      return { status: 404, headers: { message: "Invalid apiKey" } };
    }
    const limit = key === undefined ? (options.limit ?? 5) : (options.limitWithKey ?? 50);
    const caller = key === undefined ? "" : `key:${key}`;
    const times = (admitted.get(caller) ?? []).filter((t) => t > req.at - windowMs);
    admitted.set(caller, times);
    if (times.length >= limit) {
      rateLimited++;
      const waitMs = (times[0] ?? req.at) + windowMs - req.at;
      return {
        status: limitStatus,
        headers: { "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000))) },
      };
    }
    times.push(req.at);

    const cveId = req.query.cveId;
    const matching =
      cveId === undefined
        ? records
        : records.filter((r) => r.id.toUpperCase() === cveId.trim().toUpperCase());
    const startIndex = nonNegativeInt(req.query.startIndex) ?? 0;
    const perPage = Math.min(nonNegativeInt(req.query.resultsPerPage) ?? MAX_PAGE, MAX_PAGE);
    const page = matching.slice(startIndex, startIndex + perPage);
    return {
      status: 200,
      headers: { "content-type": "application/json" },
      body: {
        resultsPerPage: page.length,
        startIndex,
        totalResults: matching.length,
        format: "NVD_CVE",
        version: "2.0",
        timestamp: new Date().toISOString().slice(0, 23), // NVD's timestamps carry no zone
        vulnerabilities: page.map((cve) => ({ cve })),
      },
    };
  };

  const base = await startStubServer("stub-nvd", handle);
  return extendStub(base, {
    endpoint: `${base.url}${PATH}`,
    windowMs,
    get calls() {
      return calls;
    },
    get rateLimited() {
      return rateLimited;
    },
    get badKey() {
      return badKey;
    },
    get peakInWindow() {
      return busiestWindow(
        base.requests.filter((r) => r.path === PATH).map((r) => r.at),
        windowMs,
      );
    },
    setRecords(next: readonly NvdCve[]) {
      records = [...next];
    },
    reset() {
      base.reset();
      admitted.clear();
      calls = 0;
      rateLimited = 0;
      badKey = 0;
    },
  });
}

/** Largest number of times inside any half-open interval [t, t + windowMs). */
function busiestWindow(times: readonly number[], windowMs: number): number {
  let peak = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while ((times[end] ?? 0) - (times[start] ?? 0) >= windowMs) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

function nonNegativeInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}
