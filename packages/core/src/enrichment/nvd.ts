import { createHash } from "node:crypto";
import type { NvdRecord } from "@vulntriage/db";
import { fetchJson, SourceError } from "./fetch-json.js";
import { type SharedStore, sharedWindow, wait } from "./shared-window.js";

// NVD's published limits: request starts per rolling window, without and with an API key.
const LIMIT = 5;
const LIMIT_WITH_KEY = 50;
// NVD answers these under load or past the limit; anything else will not get better by waiting.
const BACK_OFF = new Set([403, 429, 503]);
// Newest scoring first; the version stands in when an entry does not say its own.
const METRICS = [
  ["cvssMetricV40", "4.0"],
  ["cvssMetricV31", "3.1"],
  ["cvssMetricV30", "3.0"],
  ["cvssMetricV2", "2.0"],
] as const;
const CWE = /^CWE-\d+$/;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const text = (value: unknown): string | null => (typeof value === "string" && value ? value : null);
const list = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isObject) : []);
// fetchJson reports the status only in its message ("<host> answered <status>").
function statusOf(error: SourceError): number | null {
  const match = / answered (\d{3})$/.exec(error.message);
  return match ? Number(match[1]) : null;
}

function cvssOf(metrics: Json): NvdRecord["cvss"] {
  return METRICS.flatMap(([key, version]) =>
    // Within a version NVD's own (Primary) score comes before the CNA's or ADP's (Secondary).
    [...list(metrics[key])]
      .sort((a, b) => Number(a.type !== "Primary") - Number(b.type !== "Primary"))
      .flatMap((entry) => {
        const data = isObject(entry.cvssData) ? entry.cvssData : {};
        const score = data.baseScore;
        if (typeof score !== "number" || !Number.isFinite(score) || score < 0 || score > 10) return [];
        return [
          {
            version: text(data.version) ?? version,
            baseScore: score,
            vector: text(data.vectorString),
            source: text(entry.source),
          },
        ];
      }),
  );
}

/**
 * The record from NVD's envelope: null when NVD does not know the id. The envelope must be as
 * documented (else SourceError); inside the record, what is missing or malformed is left out.
 */
function parseAnswer(body: unknown, cveId: string): NvdRecord | null {
  if (!isObject(body) || !Array.isArray(body.vulnerabilities))
    throw new SourceError("NVD answered without a vulnerabilities list");
  if (body.totalResults === 0 || body.vulnerabilities.length === 0) return null;
  const first: unknown = body.vulnerabilities[0];
  const cve = isObject(first) ? first.cve : undefined;
  if (!isObject(cve)) throw new SourceError("NVD answered a vulnerability without a cve record");
  if (typeof cve.id === "string" && cve.id.toUpperCase() !== cveId.toUpperCase())
    throw new SourceError(`NVD answered about ${cve.id} when asked about ${cveId}`);
  const cweIds = new Set(
    list(cve.weaknesses)
      .flatMap((weakness) => list(weakness.description))
      .map((description) => description.value)
      .filter((value): value is string => typeof value === "string" && CWE.test(value)),
  );
  return {
    cvss: cvssOf(isObject(cve.metrics) ? cve.metrics : {}),
    cweIds: [...cweIds],
    vulnStatus: text(cve.vulnStatus),
    published: text(cve.published),
    lastModified: text(cve.lastModified),
  };
}

/**
 * NVD's CVE API 2.0, one CVE per call, paced by a rolling-window limit shared in Redis by every
 * worker of the fleet using the same quota (5 starts per window without a key, 50 with one). 403, 429 and 503 are waited out
 * (Retry-After when given, else exponential from `retryBaseMs`) up to `maxRetries` times; every
 * other failure is a SourceError at once. `signal` ends the waits early, rejecting with its reason.
 */
export function createNvdSource(options: {
  /** The endpoint itself; `?cveId=` is appended. */
  url: string;
  apiKey: string | null;
  timeoutMs: number;
  windowMs?: number;
  maxRetries?: number;
  /** First back-off without a Retry-After; NVD suggests about 6 s between requests. */
  retryBaseMs?: number;
  /** Longest single back-off, whatever Retry-After says. */
  maxRetryWaitMs?: number;
  shared: SharedStore;
}) {
  const apiKey = options.apiKey || null;
  const maxRetries = options.maxRetries ?? 3;
  const retryBaseMs = options.retryBaseMs ?? 6_000;
  const maxRetryWaitMs = options.maxRetryWaitMs ?? 120_000;
  // NVD's quota is per key (or per address without one): one window per key, never the key itself.
  const quota = apiKey ? createHash("sha256").update(apiKey).digest("hex").slice(0, 16) : "anonymous";
  const slot = sharedWindow({
    redis: options.shared.redis,
    key: `${options.shared.keyPrefix}:nvd-window:${quota}`,
    limit: apiKey ? LIMIT_WITH_KEY : LIMIT,
    windowMs: options.windowMs ?? 30_000,
    leaseMs: options.timeoutMs + 5_000,
  });
  const headers: Record<string, string> = apiKey ? { apiKey } : {};

  const refused = (error: SourceError, status: number | null): SourceError => {
    if (status === 404)
      return new SourceError(
        apiKey
          ? "NVD answered 404: it rejects the apiKey as invalid (or NVD_API_URL is not the CVE endpoint)"
          : "NVD answered 404: NVD_API_URL is not the CVE endpoint",
      );
    return new SourceError(`NVD: ${error.message}`, error.retryAfterSeconds);
  };

  const backOffMs = (retryAfterSeconds: number | null, retry: number): number =>
    // fetchJson reads a missing Retry-After as 0: only a positive value is NVD's own word.
    Math.min(
      maxRetryWaitMs,
      retryAfterSeconds !== null && retryAfterSeconds > 0
        ? retryAfterSeconds * 1_000
        : retryBaseMs * 2 ** retry,
    );

  return {
    async lookup(cveId: string, signal?: AbortSignal): Promise<NvdRecord | null> {
      const url = new URL(options.url);
      url.searchParams.set("cveId", cveId);
      for (let retry = 0; ; retry++) {
        const answered = await slot(signal);
        let body: unknown;
        try {
          body = (await fetchJson(url.toString(), { timeoutMs: options.timeoutMs, headers })).body;
        } catch (error) {
          await answered();
          if (!(error instanceof SourceError)) throw error;
          const status = statusOf(error);
          if (status === null || !BACK_OFF.has(status)) throw refused(error, status);
          if (retry >= maxRetries)
            throw new SourceError(
              `NVD still answered ${status} after ${maxRetries} retries`,
              error.retryAfterSeconds,
            );
          await wait(backOffMs(error.retryAfterSeconds, retry), signal);
          continue;
        }
        await answered();
        return parseAnswer(body, cveId);
      }
    },
  };
}

export type NvdSource = ReturnType<typeof createNvdSource>;
