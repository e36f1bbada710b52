/**
 * Stub of FIRST's EPSS API (`GET /data/v1/epss`), per api.first.org/epss and
 * /work/shared/notes/enrichment.md §3: scores as strings, unknown CVEs simply absent, 100 rows per
 * page unless `limit` says otherwise, and a `cve` list over 2,000 characters refused.
 */
import type { StubBase, StubRequest, StubResponse } from "./stub-server.js";
import { extendStub, startStubServer } from "./stub-server.js";

export interface EpssScore {
  /** A number is written with 9 decimals like today's API; a string is served verbatim (older rows: "0.07020"). */
  epss: number | string;
  percentile: number | string;
  /** YYYY-MM-DD; default: today (UTC), as the API reports the latest model run. */
  date?: string;
}

type Scores = ReadonlyMap<string, EpssScore> | Readonly<Record<string, EpssScore>>;

export interface StubEpssOptions {
  /** CVE id → score. Default: `defaultEpssScores()`. */
  scores?: Scores;
}

export interface StubEpss extends StubBase {
  /** The endpoint itself, as EPSS_API_URL: `${url}/data/v1/epss`. */
  readonly endpoint: string;
  /** GET /data/v1/epss requests (any outcome). */
  readonly calls: number;
  /** Requests refused with 400 because `cve` exceeded 2,000 characters. */
  readonly tooLong: number;
  /** Replaces every score. */
  setScores(scores: Scores): void;
}

const PATH = "/data/v1/epss";
const MAX_CVE_PARAM = 2000;
const DEFAULT_LIMIT = 100;

/** Real-looking scores: exploited favourites near 1, a long tail near 0, one row in the old 5-decimal format. */
export function defaultEpssScores(): Map<string, EpssScore> {
  return new Map<string, EpssScore>([
    ["CVE-2021-44228", { epss: 0.94358, percentile: 0.99957 }],
    ["CVE-2023-44487", { epss: 0.81905, percentile: 0.99196 }],
    ["CVE-2023-4966", { epss: 0.94297, percentile: 0.99937 }],
    ["CVE-2024-3400", { epss: 0.94276, percentile: 0.99927 }],
    ["CVE-2022-22965", { epss: 0.9443, percentile: 0.99983 }],
    ["CVE-2021-3156", { epss: 0.71653, percentile: 0.98689 }],
    ["CVE-2005-2541", { epss: 0.01123, percentile: 0.77815 }],
    ["CVE-2023-45853", { epss: 0.00243, percentile: 0.47611 }],
    ["CVE-2022-27225", { epss: "0.000430000", percentile: "0.07020", date: "2022-03-05" }],
    ["CVE-2024-6119", { epss: 0.00067, percentile: 0.30146 }],
  ]);
}

export async function startStubEpss(options: StubEpssOptions = {}): Promise<StubEpss> {
  let scores = toMap(options.scores ?? defaultEpssScores());
  let calls = 0;
  let tooLong = 0;

  const handle = (req: StubRequest): StubResponse => {
    if (req.path !== PATH || req.method !== "GET") return error(404, "Not Found");
    calls++;
    const cveParam = req.query.cve;
    if (cveParam !== undefined && cveParam.length > MAX_CVE_PARAM) {
      tooLong++;
      return error(400, `The maximum size accepted for the cve parameter is ${MAX_CVE_PARAM} characters`);
    }
    const limit = nonNegativeInt(req.query.limit) ?? DEFAULT_LIMIT;
    const offset = nonNegativeInt(req.query.offset) ?? 0;
    // Without `cve` the API pages through every scored CVE.
    const ids =
      cveParam === undefined
        ? [...scores.keys()]
        : [...new Set(cveParam.split(",").map((id) => id.trim().toUpperCase()))];
    const rows = ids.flatMap((cve) => {
      const score = scores.get(cve);
      return score ? [row(cve, score, req.query.date)] : [];
    });
    return {
      status: 200,
      headers: { "content-type": "application/json; charset=utf-8" },
      body: {
        status: "OK",
        "status-code": 200,
        version: "1.0",
        access: "public",
        total: rows.length,
        offset,
        limit,
        data: rows.slice(offset, offset + limit),
      },
    };
  };

  const base = await startStubServer("stub-epss", handle);
  return extendStub(base, {
    endpoint: `${base.url}${PATH}`,
    get calls() {
      return calls;
    },
    get tooLong() {
      return tooLong;
    },
    setScores(next: Scores) {
      scores = toMap(next);
    },
    reset() {
      base.reset();
      calls = 0;
      tooLong = 0;
    },
  });
}

/** `date=` asks for history; the stub keeps one score per CVE and reports it under the asked date. */
function row(cve: string, score: EpssScore, date: string | undefined) {
  const text = (v: number | string) => (typeof v === "number" ? v.toFixed(9) : v);
  return {
    cve,
    epss: text(score.epss),
    percentile: text(score.percentile),
    date: date ?? score.date ?? new Date().toISOString().slice(0, 10),
  };
}

function error(status: number, message: string): StubResponse {
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
    body: { status: "error", "status-code": status, version: "1.0", access: "public", message },
  };
}

function nonNegativeInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

function toMap(scores: Scores): Map<string, EpssScore> {
  return new Map(scores instanceof Map ? scores : Object.entries(scores));
}
