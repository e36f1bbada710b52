import { SEVERITIES, type Severity } from "./trivy/severity.js";

/** One Ollama server and how many answers it may generate at once for this worker. */
export type OllamaServer = { url: string; concurrency: number };

/**
 * Where CVE enrichment comes from. Each URL is the endpoint itself (KEV: the feed file; EPSS, NVD:
 * the endpoint, query appended; OSV: the API root). `offline` makes no outbound request at all.
 */
export type EnrichmentConfig = {
  mode: "online" | "offline";
  kevUrl: string;
  epssApiUrl: string;
  nvdApiUrl: string;
  nvdApiKey: string | null;
  osvApiUrl: string;
  kevRefreshHours: number;
  waitMs: number;
};

/** The API's HTTP server: timeouts, connection cap, Host check and CORS. */
export type HttpConfig = {
  /** The whole request, headers and body, must arrive within this (slow bodies). */
  requestTimeoutMs: number;
  /** The headers must arrive within this (slow headers, sockets that never send). */
  headersTimeoutMs: number;
  /** An idle keep-alive socket is closed after this. */
  keepAliveTimeoutMs: number;
  /** A body that stops arriving for this long is cut off. */
  bodyIdleTimeoutMs: number;
  /** Sockets open at once; more are refused. */
  maxConnections: number;
  /** Host names (optionally host:port) the API answers for; null: any. */
  allowedHosts: string[] | null;
  /** Origins allowed cross-origin requests; null: CORS is off. */
  corsOrigins: string[] | null;
};

export const HTTP_DEFAULTS: HttpConfig = {
  requestTimeoutMs: 120_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 10_000,
  bodyIdleTimeoutMs: 30_000,
  maxConnections: 1_024,
  allowedHosts: null,
  corsOrigins: null,
};

export type Config = {
  databaseUrl: string;
  redisUrl: string;
  /** OLLAMA_HOST: a comma-separated list, each entry optionally ending in `*N` (its concurrency). */
  ollamaServers: OllamaServer[];
  ollamaModel: string;
  host: string;
  port: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Defaults to the sum of the servers' concurrencies. */
  workerConcurrency: number;
  analyzeOnIngest: boolean;
  analyzeMinSeverity: Severity;
  maxReportBytes: number;
  /** New reports parsed and written at once by one API process. */
  maxConcurrentUploads: number;
  /** How long an upload waits for one of those slots before it is refused as busy (503). */
  uploadWaitMs: number;
  /** How long the API lets in-flight requests finish after SIGTERM before it exits anyway. */
  shutdownGraceMs: number;
  llmTimeoutMs: number;
  llmMaxAttempts: number;
  llmRetryDelayMs: number;
  queuePrefix: string;
  reconcileIntervalMs: number;
  workerLockMs: number;
  workerShutdownTimeoutMs: number;
  enrichment: EnrichmentConfig;
  /** required: every route but /health and /docs needs a key; off: none does; auto: see README. */
  authMode: "required" | "off" | "auto";
  docs: boolean;
  rateLimits: { uploadsPerMinute: number; readsPerMinute: number; refreshPerMinute: number };
  http: HttpConfig;
  metrics: MetricsConfig;
  /** The BullMQ dashboard at /admin/queues (scope admin): off, on, or on without its job actions. */
  queueDashboard: "off" | "on" | "read-only";
};

/** Prometheus metrics: who may read the API's /metrics, and where the worker serves its own. */
export type MetricsConfig = {
  /** key: an API key with scope read (or admin); public: anyone who reaches the API; off: no /metrics. */
  access: "off" | "public" | "key";
  /** WORKER_METRICS_PORT; null: the worker serves no metrics. */
  workerPort: number | null;
  workerHost: string;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

class Invalid {
  constructor(readonly reason: string) {}
}

/** Reads every variable once, and reports every bad one together rather than the first. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const read = <T>(name: string, fallback: T, parse: (raw: string) => T | Invalid): T => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === "") return fallback;
    const value = parse(raw);
    if (value instanceof Invalid) {
      problems.push(`${name}=${JSON.stringify(raw)}: ${value.reason}`);
      return fallback;
    }
    return value;
  };
  const url =
    (...protocols: string[]) =>
    (raw: string): string | Invalid => {
      const invalid = new Invalid(
        `must be a URL starting with ${protocols.map((p) => `${p}//`).join(" or ")}`,
      );
      try {
        return protocols.includes(new URL(raw).protocol) ? raw : invalid;
      } catch {
        return invalid;
      }
    };
  const integer =
    (min: number, max: number) =>
    (raw: string): number | Invalid => {
      const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
      return value >= min && value <= max
        ? value
        : new Invalid(`must be a whole number from ${min} to ${max}`);
    };
  const boolean = (raw: string): boolean | Invalid => {
    const lower = raw.toLowerCase();
    if (["true", "1", "yes", "on"].includes(lower)) return true;
    if (["false", "0", "no", "off"].includes(lower)) return false;
    return new Invalid("must be true or false");
  };
  const oneOf =
    <T extends string>(values: readonly T[], normalise: (raw: string) => string) =>
    (raw: string): T | Invalid => {
      const value = normalise(raw);
      return (values as readonly string[]).includes(value)
        ? (value as T)
        : new Invalid(`must be one of ${values.join(", ")}`);
    };
  const text = (raw: string): string => raw;
  const list =
    (check: (item: string) => string | undefined) =>
    (raw: string): string[] | Invalid => {
      const items = raw
        .split(",")
        .map((item) => item.trim().toLowerCase().replace(/\/+$/, ""))
        .filter(Boolean);
      for (const item of items) {
        const problem = check(item);
        if (problem) return new Invalid(`${item}: ${problem}`);
      }
      return items.length > 0 ? items : new Invalid("must list at least one entry");
    };
  const hostEntry = (item: string) =>
    /^(?:[a-z0-9_.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/.test(item)
      ? undefined
      : "must be a host name or host:port";
  const originEntry = (item: string) => {
    if (item === "*") return undefined;
    try {
      const origin = new URL(item);
      return ["http:", "https:"].includes(origin.protocol) && origin.origin === item.replace(/\/$/, "")
        ? undefined
        : "must be an origin like https://app.example.com (scheme, host and optional port)";
    } catch {
      return "must be an origin like https://app.example.com";
    }
  };
  const servers = (raw: string): OllamaServer[] | Invalid => {
    const parsed: OllamaServer[] = [];
    for (const entry of raw.split(",").map((e) => e.trim())) {
      const match = /^(.*?)(?:\*(\d+))?$/.exec(entry) as RegExpExecArray;
      const address = url("http:", "https:")(match[1] as string);
      const concurrency = match[2] === undefined ? 1 : Number(match[2]);
      if (address instanceof Invalid || entry === "") {
        return new Invalid("must be comma-separated http:// or https:// URLs, each optionally ending in *N");
      }
      if (!(concurrency >= 1 && concurrency <= 64)) return new Invalid(`${entry}: *N must be from 1 to 64`);
      const normalised = address.replace(/\/+$/, "");
      if (parsed.some((s) => s.url === normalised)) return new Invalid(`${normalised} is listed twice`);
      parsed.push({ url: normalised, concurrency });
    }
    return parsed;
  };

  const config: Config = {
    databaseUrl: read(
      "DATABASE_URL",
      "postgres://postgres@127.0.0.1:5432/vulntriage",
      url("postgres:", "postgresql:"),
    ),
    redisUrl: read("REDIS_URL", "redis://127.0.0.1:6379", url("redis:", "rediss:")),
    ollamaServers: read("OLLAMA_HOST", [{ url: "http://127.0.0.1:11434", concurrency: 1 }], servers),
    ollamaModel: read("OLLAMA_MODEL", "llama3.2:3b", text),
    host: read("HOST", "127.0.0.1", text),
    port: read("PORT", 3000, integer(0, 65535)),
    logLevel: read<Config["logLevel"]>(
      "LOG_LEVEL",
      "info",
      oneOf(LOG_LEVELS, (s) => s.toLowerCase()),
    ),
    workerConcurrency: 0,
    analyzeOnIngest: read("ANALYZE_ON_INGEST", true, boolean),
    analyzeMinSeverity: read<Severity>(
      "ANALYZE_MIN_SEVERITY",
      "UNKNOWN",
      oneOf(SEVERITIES, (s) => s.toUpperCase()),
    ),
    maxReportBytes: read("MAX_REPORT_BYTES", 64 * 1024 * 1024, integer(1024, 2 ** 31 - 1)),
    maxConcurrentUploads: read("MAX_CONCURRENT_UPLOADS", 2, integer(1, 64)),
    uploadWaitMs: read("UPLOAD_WAIT_MS", 5_000, integer(0, 600_000)),
    shutdownGraceMs: read("SHUTDOWN_GRACE_MS", 10_000, integer(0, 3_600_000)),
    llmTimeoutMs: read("LLM_TIMEOUT_MS", 600_000, integer(1_000, 86_400_000)),
    llmMaxAttempts: read("LLM_MAX_ATTEMPTS", 5, integer(1, 100)),
    llmRetryDelayMs: read("LLM_RETRY_DELAY_MS", 5_000, integer(0, 3_600_000)),
    queuePrefix: read("QUEUE_PREFIX", "vulntriage", (raw) =>
      /^[A-Za-z0-9_-]{1,64}$/.test(raw) ? raw : new Invalid("must be 1-64 letters, digits, - or _"),
    ),
    reconcileIntervalMs: read("RECONCILE_INTERVAL_MS", 120_000, integer(1_000, 86_400_000)),
    workerLockMs: read("WORKER_LOCK_MS", 30_000, integer(1_000, 3_600_000)),
    workerShutdownTimeoutMs: read("WORKER_SHUTDOWN_TIMEOUT_MS", 20_000, integer(0, 3_600_000)),
    enrichment: {
      mode: read<EnrichmentConfig["mode"]>(
        "ENRICHMENT",
        "online",
        oneOf(["online", "offline"] as const, (s) => s.toLowerCase()),
      ),
      kevUrl: read(
        "KEV_URL",
        "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
        url("http:", "https:"),
      ),
      epssApiUrl: read("EPSS_API_URL", "https://api.first.org/data/v1/epss", url("http:", "https:")),
      nvdApiUrl: read(
        "NVD_API_URL",
        "https://services.nvd.nist.gov/rest/json/cves/2.0",
        url("http:", "https:"),
      ),
      nvdApiKey: read<string | null>("NVD_API_KEY", null, text),
      osvApiUrl: read("OSV_API_URL", "https://api.osv.dev", url("http:", "https:")),
      kevRefreshHours: read("KEV_REFRESH_HOURS", 24, integer(1, 24 * 30)),
      waitMs: read("ENRICHMENT_WAIT_MS", 60_000, integer(0, 3_600_000)),
    },
    authMode: read<Config["authMode"]>(
      "AUTH_MODE",
      "auto",
      oneOf(["required", "off", "auto"] as const, (s) => s.toLowerCase()),
    ),
    docs: read("DOCS", true, (raw) => (raw.toLowerCase() === "off" ? false : boolean(raw))),
    rateLimits: {
      uploadsPerMinute: read("RATE_LIMIT_UPLOADS_PER_MINUTE", 30, integer(1, 1_000_000)),
      readsPerMinute: read("RATE_LIMIT_READS_PER_MINUTE", 1_200, integer(1, 1_000_000)),
      refreshPerMinute: read("RATE_LIMIT_REFRESH_PER_MINUTE", 30, integer(1, 1_000_000)),
    },
    http: {
      requestTimeoutMs: read(
        "HTTP_REQUEST_TIMEOUT_MS",
        HTTP_DEFAULTS.requestTimeoutMs,
        integer(1_000, 3_600_000),
      ),
      headersTimeoutMs: read(
        "HTTP_HEADERS_TIMEOUT_MS",
        HTTP_DEFAULTS.headersTimeoutMs,
        integer(1_000, 600_000),
      ),
      keepAliveTimeoutMs: read(
        "HTTP_KEEP_ALIVE_TIMEOUT_MS",
        HTTP_DEFAULTS.keepAliveTimeoutMs,
        integer(1_000, 600_000),
      ),
      bodyIdleTimeoutMs: read(
        "HTTP_BODY_IDLE_TIMEOUT_MS",
        HTTP_DEFAULTS.bodyIdleTimeoutMs,
        integer(1_000, 600_000),
      ),
      maxConnections: read("HTTP_MAX_CONNECTIONS", HTTP_DEFAULTS.maxConnections, integer(1, 1_000_000)),
      allowedHosts: read<string[] | null>("ALLOWED_HOSTS", null, list(hostEntry)),
      corsOrigins: read<string[] | null>("CORS_ORIGINS", null, list(originEntry)),
    },
    metrics: {
      access: read<MetricsConfig["access"]>(
        "METRICS",
        "key",
        oneOf(["off", "public", "key"] as const, (s) => s.toLowerCase()),
      ),
      workerPort: read<number | null>("WORKER_METRICS_PORT", null, integer(1, 65535)),
      workerHost: read("WORKER_METRICS_HOST", "127.0.0.1", text),
    },
    queueDashboard: read<Config["queueDashboard"]>(
      "QUEUE_DASHBOARD",
      "off",
      oneOf(["off", "on", "read-only"] as const, (s) => s.toLowerCase()),
    ),
  };
  // Node refuses a headers timeout longer than the request timeout.
  if (config.http.headersTimeoutMs > config.http.requestTimeoutMs) {
    problems.push(
      `HTTP_HEADERS_TIMEOUT_MS=${config.http.headersTimeoutMs} must not exceed HTTP_REQUEST_TIMEOUT_MS=${config.http.requestTimeoutMs}`,
    );
  }
  // Enough jobs at once to keep every server's slots busy; more would only wait for a slot.
  config.workerConcurrency = read(
    "WORKER_CONCURRENCY",
    config.ollamaServers.reduce((sum, server) => sum + server.concurrency, 0),
    integer(1, 256),
  );
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
