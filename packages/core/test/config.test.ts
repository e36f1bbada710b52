import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

describe(loadConfig.name, () => {
  it("should use the documented defaults when nothing is set", () => {
    expect(loadConfig({})).toEqual({
      databaseUrl: "postgres://postgres@127.0.0.1:5432/vulntriage",
      redisUrl: "redis://127.0.0.1:6379",
      ollamaServers: [{ url: "http://127.0.0.1:11434", concurrency: 1 }],
      ollamaModel: "llama3.2:3b",
      host: "127.0.0.1",
      port: 3000,
      logLevel: "info",
      workerConcurrency: 1,
      analyzeOnIngest: true,
      analyzeMinSeverity: "UNKNOWN",
      maxReportBytes: 64 * 1024 * 1024,
      maxConcurrentUploads: 2,
      uploadWaitMs: 5_000,
      shutdownGraceMs: 10_000,
      llmTimeoutMs: 600_000,
      llmMaxAttempts: 5,
      llmRetryDelayMs: 5_000,
      queuePrefix: "vulntriage",
      reconcileIntervalMs: 120_000,
      workerLockMs: 30_000,
      workerShutdownTimeoutMs: 20_000,
      enrichment: {
        mode: "online",
        kevUrl: "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
        epssApiUrl: "https://api.first.org/data/v1/epss",
        nvdApiUrl: "https://services.nvd.nist.gov/rest/json/cves/2.0",
        nvdApiKey: null,
        osvApiUrl: "https://api.osv.dev",
        kevRefreshHours: 24,
        waitMs: 60_000,
      },
      authMode: "auto",
      docs: true,
      rateLimits: { uploadsPerMinute: 30, readsPerMinute: 1_200, refreshPerMinute: 30 },
      http: {
        requestTimeoutMs: 120_000,
        headersTimeoutMs: 10_000,
        keepAliveTimeoutMs: 10_000,
        bodyIdleTimeoutMs: 30_000,
        maxConnections: 1_024,
        allowedHosts: null,
        corsOrigins: null,
      },
      metrics: { access: "key", workerPort: null, workerHost: "127.0.0.1" },
      queueDashboard: "off",
    });
  });

  it("should read who may see the metrics, the worker's metrics address and the queue dashboard", () => {
    const config = loadConfig({
      METRICS: "Public",
      WORKER_METRICS_PORT: "9464",
      WORKER_METRICS_HOST: "0.0.0.0",
      QUEUE_DASHBOARD: "read-only",
    });
    expect(config.metrics).toEqual({ access: "public", workerPort: 9464, workerHost: "0.0.0.0" });
    expect(config.queueDashboard).toBe("read-only");
    expect(loadConfig({ METRICS: "off", QUEUE_DASHBOARD: "ON" })).toMatchObject({
      metrics: { access: "off" },
      queueDashboard: "on",
    });
  });

  it("should name every bad metrics and dashboard variable together", () => {
    expect(() => loadConfig({ METRICS: "yes", WORKER_METRICS_PORT: "0", QUEUE_DASHBOARD: "true" })).toThrow(
      expect.objectContaining({
        problems: [
          'METRICS="yes": must be one of off, public, key',
          'WORKER_METRICS_PORT="0": must be a whole number from 1 to 65535',
          'QUEUE_DASHBOARD="true": must be one of off, on, read-only',
        ],
      }),
    );
  });

  it("should read the HTTP server's timeouts, Host list and CORS origins", () => {
    const config = loadConfig({
      HTTP_REQUEST_TIMEOUT_MS: "60000",
      HTTP_HEADERS_TIMEOUT_MS: "5000",
      HTTP_KEEP_ALIVE_TIMEOUT_MS: "75000",
      HTTP_BODY_IDLE_TIMEOUT_MS: "2000",
      HTTP_MAX_CONNECTIONS: "100",
      ALLOWED_HOSTS: " API.example.com, 127.0.0.1:3000 ,[::1]",
      CORS_ORIGINS: "https://App.example.com/, http://localhost:5173",
    });
    expect(config.http).toEqual({
      requestTimeoutMs: 60_000,
      headersTimeoutMs: 5_000,
      keepAliveTimeoutMs: 75_000,
      bodyIdleTimeoutMs: 2_000,
      maxConnections: 100,
      allowedHosts: ["api.example.com", "127.0.0.1:3000", "[::1]"],
      corsOrigins: ["https://app.example.com", "http://localhost:5173"],
    });
  });

  it.each([
    ["ALLOWED_HOSTS", "https://api.example.com"],
    ["ALLOWED_HOSTS", "a b"],
    ["ALLOWED_HOSTS", ","],
    ["CORS_ORIGINS", "app.example.com"],
    ["CORS_ORIGINS", "https://app.example.com/path"],
    ["HTTP_HEADERS_TIMEOUT_MS", "10"],
    ["HTTP_MAX_CONNECTIONS", "0"],
  ])("should refuse %s=%s", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });

  it("should refuse a headers timeout longer than the request timeout", () => {
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: "30000", HTTP_REQUEST_TIMEOUT_MS: "20000" })).toThrow(
      /HTTP_HEADERS_TIMEOUT_MS=30000 must not exceed HTTP_REQUEST_TIMEOUT_MS=20000/,
    );
  });

  it("should read and normalise every variable", () => {
    const config = loadConfig({
      DATABASE_URL: "postgresql://u@db:5432/x",
      PORT: "8080",
      ANALYZE_ON_INGEST: "false",
      ANALYZE_MIN_SEVERITY: "high",
      LOG_LEVEL: "WARN",
      MAX_REPORT_BYTES: "104857600",
      WORKER_CONCURRENCY: "4",
      MAX_CONCURRENT_UPLOADS: "3",
      UPLOAD_WAIT_MS: "0",
      SHUTDOWN_GRACE_MS: "25000",
    });
    expect(config).toMatchObject({
      databaseUrl: "postgresql://u@db:5432/x",
      port: 8080,
      analyzeOnIngest: false,
      analyzeMinSeverity: "HIGH",
      logLevel: "warn",
      maxReportBytes: 104_857_600,
      workerConcurrency: 4,
      maxConcurrentUploads: 3,
      uploadWaitMs: 0,
      shutdownGraceMs: 25_000,
    });
  });

  it("should read several Ollama servers with their concurrency, and default the worker's to the sum", () => {
    const config = loadConfig({
      OLLAMA_HOST: " http://gpu1:11434*4 , https://gpu2.example/ollama/ ,http://10.0.0.3:11434*2",
    });
    expect(config.ollamaServers).toEqual([
      { url: "http://gpu1:11434", concurrency: 4 },
      { url: "https://gpu2.example/ollama", concurrency: 1 },
      { url: "http://10.0.0.3:11434", concurrency: 2 },
    ]);
    expect(config.workerConcurrency).toBe(7);
    expect(
      loadConfig({ OLLAMA_HOST: "http://gpu1:11434*4", WORKER_CONCURRENCY: "2" }).workerConcurrency,
    ).toBe(2);
  });

  it.each([
    ["an empty entry", "http://a:1,,http://b:2"],
    ["a zero concurrency", "http://a:1*0"],
    ["a concurrency that is not a number", "http://a:1*many"],
    ["a server listed twice", "http://a:1,http://a:1/*2"],
    ["another protocol", "ftp://a:1"],
  ])("should refuse OLLAMA_HOST with %s", (_, value) => {
    expect(() => loadConfig({ OLLAMA_HOST: value })).toThrow(/OLLAMA_HOST/);
  });

  it("should read the enrichment sources and refuse a bad mode or URL", () => {
    const config = loadConfig({
      ENRICHMENT: "OFFLINE",
      KEV_URL: "http://127.0.0.1:9/feed.json",
      NVD_API_KEY: "k-123",
      KEV_REFRESH_HOURS: "6",
    });
    expect(config.enrichment).toMatchObject({
      mode: "offline",
      kevUrl: "http://127.0.0.1:9/feed.json",
      nvdApiKey: "k-123",
      kevRefreshHours: 6,
    });
    expect(() => loadConfig({ ENRICHMENT: "sometimes" })).toThrow(/ENRICHMENT/);
    expect(() => loadConfig({ EPSS_API_URL: "api.first.org" })).toThrow(/EPSS_API_URL/);
  });

  it("should read access control and limits, and refuse bad values", () => {
    const config = loadConfig({
      AUTH_MODE: "Required",
      DOCS: "off",
      RATE_LIMIT_UPLOADS_PER_MINUTE: "5",
      RATE_LIMIT_READS_PER_MINUTE: "100",
      RATE_LIMIT_REFRESH_PER_MINUTE: "2",
    });
    expect(config).toMatchObject({
      authMode: "required",
      docs: false,
      rateLimits: { uploadsPerMinute: 5, readsPerMinute: 100, refreshPerMinute: 2 },
    });
    expect(loadConfig({ DOCS: "true" }).docs).toBe(true);
    expect(() => loadConfig({ AUTH_MODE: "maybe" })).toThrow(/AUTH_MODE/);
    expect(() => loadConfig({ RATE_LIMIT_READS_PER_MINUTE: "0" })).toThrow(/RATE_LIMIT_READS_PER_MINUTE/);
    expect(() => loadConfig({ DOCS: "hidden" })).toThrow(/DOCS/);
  });

  it("should name every bad variable at once", () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: "http",
        DATABASE_URL: "mysql://x",
        ANALYZE_ON_INGEST: "maybe",
        MAX_REPORT_BYTES: "-5",
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    for (const name of ["PORT", "DATABASE_URL", "ANALYZE_ON_INGEST", "MAX_REPORT_BYTES"])
      expect(problems).toContain(name);
    expect((error as ConfigError).problems).toHaveLength(4);
  });
});
