import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";

// Every HTTP call the CLI makes goes through this module, on Node's fetch: the CLI installs on its
// own, without @vulntriage/client. The types below are the subset of the API's answers the CLI
// reads; the API's TypeBox schemas in packages/core are the full definition.

const gzip = promisify(gzipCallback);

export type Severity = "CRITICAL" | "HIGH" | "MEDIUM" | "LOW" | "UNKNOWN";
type AnalysisStatus = "pending" | "processing" | "completed" | "failed";

export type Scan = {
  id: number;
  image_name: string | null;
  ingested_at: string;
  report_created_at: string | null;
  finding_count: number;
  critical_count: number;
  high_count: number;
  medium_count: number;
  low_count: number;
  unknown_count: number;
  kev_count: number | null;
  max_risk_score: number | null;
};

export type Finding = {
  id: number;
  scan_id: number;
  vulnerability_id: string | null;
  pkg_name: string;
  installed_version: string | null;
  fixed_version: string | null;
  severity: Severity;
  target: string;
  title: string | null;
  primary_url: string | null;
  llm_analysis_summary: string | null;
  llm_analysis_risk_score: number | null;
  llm_analysis_status: AnalysisStatus | null;
  risk?: { score: number; band: string; llm_score: number | null } | null;
  exploitation?: { kev_listed: boolean | null; epss_score: number | null } | null;
};

export type Page<T> = { items: T[]; total: number; limit: number; offset: number };

export type UploadResult = { duplicate: boolean; scan: Scan; findings_ingested?: number };

export type AnalysisProgress = {
  scan_id: number;
  findings: number;
  by_status: Record<"not_requested" | AnalysisStatus, number>;
  eta_seconds: number | null;
};

export type AnalysisAnswer = {
  finding_id: number;
  status: AnalysisStatus;
  cached?: boolean;
  summary?: string;
  recommendations?: string[];
  risk_score?: number;
  model?: string | null;
  analyzed_at?: string;
  error?: string;
  risk?: { score: number; band: string } | null;
};

/** The server answered with an error status; `message` is the server's own sentence. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** No answer at all: connection refused, DNS, reset, or the request's own deadline. */
export class NetworkError extends Error {}

export type ClientOptions = {
  url: string;
  token?: string | undefined;
  /** Epoch ms after which no request is started or waited for; undefined: none. */
  deadline?: number | undefined;
  /** Told when a 429/503 with Retry-After makes the client wait before asking again. */
  onRetryWait?: (seconds: number, status: number) => void;
};

/** Waits for 429/503 + Retry-After at most this often when there is no deadline. */
const MAX_RETRIES_WITHOUT_DEADLINE = 5;
const MAX_RETRY_AFTER_SECONDS = 300;
/** Per request: long enough for a large gzip upload over a slow link, short of hanging forever. */
const REQUEST_TIMEOUT_MS = 10 * 60_000;

export type Client = ReturnType<typeof createClient>;

export function createClient(options: ClientOptions) {
  const base = options.url.replace(/\/+$/, "");

  async function request<T>(method: "GET" | "POST", path: string, body?: Buffer, gzipped = false) {
    const headers: Record<string, string> = { accept: "application/json" };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (body) {
      headers["content-type"] = "application/json";
      if (gzipped) headers["content-encoding"] = "gzip";
    }
    for (let attempt = 0; ; attempt++) {
      const response = await send(method, `${base}${path}`, headers, body);
      const text = await response.text();
      if (response.ok) return { status: response.status, body: parseJson(text) as T };
      const wait = retryAfterSeconds(response);
      if (
        (response.status === 429 || response.status === 503) &&
        wait !== undefined &&
        canWait(wait, attempt)
      ) {
        options.onRetryWait?.(wait, response.status);
        await new Promise((resolve) => setTimeout(resolve, wait * 1000));
        continue;
      }
      throw errorFrom(response, text);
    }
  }

  function canWait(seconds: number, attempt: number): boolean {
    if (options.deadline === undefined) return attempt < MAX_RETRIES_WITHOUT_DEADLINE;
    return Date.now() + seconds * 1000 < options.deadline;
  }

  async function send(method: string, url: string, headers: Record<string, string>, body?: Buffer) {
    const remaining = options.deadline === undefined ? REQUEST_TIMEOUT_MS : options.deadline - Date.now();
    if (remaining <= 0) throw new NetworkError(`${method} ${url}: the time allowed (--timeout) is over`);
    try {
      return await fetch(url, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(Math.min(remaining, REQUEST_TIMEOUT_MS)),
      });
    } catch (error) {
      throw new NetworkError(`cannot reach the vulntriage server at ${base}: ${describeFetchError(error)}`);
    }
  }

  return {
    url: base,

    async uploadReport(report: Buffer, upload: { imageName?: string | undefined; gzip: boolean }) {
      const query = upload.imageName ? `?image_name=${encodeURIComponent(upload.imageName)}` : "";
      const body = upload.gzip ? await gzip(report) : report;
      return (await request<UploadResult>("POST", `/api/container/scans${query}`, body, upload.gzip)).body;
    },

    async listScans(page: { limit: number; offset: number }) {
      return (
        await request<Page<Scan>>("GET", `/api/container/scans?limit=${page.limit}&offset=${page.offset}`)
      ).body;
    },

    /** Every finding of a scan (id or image name), following the pages. */
    async allFindings(identifier: string, filter: { severities?: Severity[] | undefined } = {}) {
      const items: Finding[] = [];
      const severity = filter.severities?.length ? `&severity=${filter.severities.join(",")}` : "";
      for (;;) {
        const path = `/api/container/scans/${encodeURIComponent(identifier)}/findings?limit=1000&offset=${items.length}${severity}`;
        const page = (await request<Page<Finding>>("GET", path)).body;
        items.push(...page.items);
        if (page.items.length === 0 || items.length >= page.total) return items;
      }
    },

    async analysisProgress(identifier: string) {
      return (
        await request<AnalysisProgress>(
          "GET",
          `/api/container/scans/${encodeURIComponent(identifier)}/analysis`,
        )
      ).body;
    },

    async analyzeFinding(findingId: number, refresh: boolean) {
      const query = refresh ? "?refresh=true" : "";
      return (await request<AnalysisAnswer>("GET", `/api/llm/analyze/container/${findingId}${query}`)).body;
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new NetworkError(`the server's answer is not JSON: ${text.slice(0, 200)}`);
  }
}

function retryAfterSeconds(response: Response): number | undefined {
  const header = response.headers.get("retry-after");
  if (header === null) return undefined;
  const seconds = /^\d+$/.test(header.trim())
    ? Number(header)
    : Math.ceil((Date.parse(header) - Date.now()) / 1000);
  if (!Number.isFinite(seconds)) return undefined;
  return Math.min(Math.max(seconds, 1), MAX_RETRY_AFTER_SECONDS);
}

function errorFrom(response: Response, text: string): ApiError {
  let code = `http_${response.status}`;
  let message = `HTTP ${response.status} ${response.statusText}`.trim();
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof body.error === "string") code = body.error;
    if (typeof body.message === "string") message = body.message;
  } catch {
    // Not our JSON error body (a proxy's HTML page): the status line is all there is.
  }
  return new ApiError(response.status, code, message);
}

function describeFetchError(error: unknown): string {
  if (error instanceof DOMException && error.name === "TimeoutError") return "no answer in time";
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  switch (cause?.code) {
    case "ECONNREFUSED":
      return "connection refused (is the API running?)";
    case "ENOTFOUND":
      return "host not found";
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return "the connection was closed";
    default:
      return cause?.message ?? (error instanceof Error ? error.message : String(error));
  }
}
