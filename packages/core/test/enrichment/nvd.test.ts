import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import {
  defaultNvdRecords,
  type NvdCve,
  nvdV31Record,
  redisUrl,
  type StubNvd,
  startStubNvd,
  testSharedStore,
} from "@vulntriage/test-utils";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SourceError } from "../../src/enrichment/fetch-json.js";
import { createNvdSource } from "../../src/enrichment/nvd.js";

const KEY = "good-key";
// Primary after Secondary, unusable scores among usable ones, a version left out, CWEs repeated.
const odd = {
  ...nvdV31Record("CVE-2099-0001"),
  vulnStatus: 7,
  published: null,
  metrics: {
    cvssMetricV31: [
      { source: "cna@example.org", type: "Secondary", cvssData: { version: "3.1", baseScore: 8.6 } },
      { source: "a", type: "Primary", cvssData: { version: "3.1", baseScore: "high" } },
      { source: "b", type: "Primary", cvssData: { version: "3.1", baseScore: 11 } },
      { source: "c", type: "Primary" },
      null,
      {
        source: "nvd@nist.gov",
        type: "Primary",
        cvssData: { vectorString: "CVSS:3.1/AV:N", baseScore: 7.5 },
      },
    ],
    cvssMetricV2: "nonsense",
  },
  weaknesses: [
    { description: [{ value: "CWE-79" }, { value: "CWE-79" }, { value: 5 }] },
    { description: [{ value: "NVD-CWE-noinfo" }, { value: "CWE-79" }] },
    "x",
  ],
} as unknown as NvdCve;

let nvd: StubNvd; // roomy limits: for shapes and faults
let paced: StubNvd; // NVD's limits on a 1 s window
let garbage: Server; // answers whatever JSON the test sets
let garbageBody = "";

beforeAll(async () => {
  [nvd, paced] = await Promise.all([
    startStubNvd({
      records: [...defaultNvdRecords(), odd],
      apiKey: KEY,
      limit: 10_000,
      limitWithKey: 10_000,
    }),
    startStubNvd({ apiKey: KEY, windowMs: 1_000 }),
  ]);
  garbage = createServer((_req, res) => res.end(garbageBody)).listen(0, "127.0.0.1");
  await once(garbage, "listening");
});
afterAll(async () => {
  garbage?.closeAllConnections();
  await Promise.all([nvd?.close(), paced?.close(), new Promise((done) => garbage?.close(done))]);
});
beforeEach(() => {
  nvd.reset();
  paced.reset();
});

// The window lives in Redis: each source gets a quota of its own unless a test shares one.
const store = testSharedStore();
afterAll(() => store.close());
const ownQuota = store.own;

// Tiny windows and back-offs, so that only the tests about pacing wait.
const source = (options: Partial<Parameters<typeof createNvdSource>[0]> = {}) =>
  createNvdSource({
    url: nvd.endpoint,
    apiKey: null,
    timeoutMs: 2_000,
    windowMs: 10,
    retryBaseMs: 5,
    shared: ownQuota(),
    ...options,
  });
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail("expected a SourceError"),
    (error: unknown) => {
      expect(error).toBeInstanceOf(SourceError);
      return error as SourceError;
    },
  );
const times = (stub: StubNvd) => stub.requests.map((r) => r.at).sort((a, b) => a - b);
const gap = (stub: StubNvd, i: number) => (stub.requests[i]?.at ?? 0) - (stub.requests[i - 1]?.at ?? 0);

describe("NVD record shapes", () => {
  it("reads a v2-only record, dropping NVD's CWE placeholders", async () => {
    expect(await source().lookup("CVE-2005-2541")).toEqual({
      cvss: [{ version: "2.0", baseScore: 10, vector: "AV:N/AC:L/Au:N/C:C/I:C/A:C", source: "nvd@nist.gov" }],
      cweIds: [],
      vulnStatus: "Analyzed",
      published: "2005-08-10T04:00:00.000",
      lastModified: "2025-04-03T01:03:51.193",
    });
    expect(nvd.requests[0]?.query).toEqual({ cveId: "CVE-2005-2541" });
  });

  it("reads a v4-only record scored by the CNA as Secondary", async () => {
    const record = await source().lookup("CVE-2025-24813");
    expect(record?.cvss).toEqual([
      {
        version: "4.0",
        baseScore: 9.2,
        vector: "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:X",
        source: "security@apache.org",
      },
    ]);
    expect(record?.cweIds).toEqual(["CWE-44", "CWE-502"]);
    expect(record?.vulnStatus).toBe("Awaiting Analysis");
  });

  it("keeps v3.1 Primary before Secondary, then v3.0", async () => {
    const record = await source().lookup("CVE-2023-44487");
    expect(record?.cvss.map((c) => [c.version, c.baseScore, c.source])).toEqual([
      ["3.1", 7.5, "nvd@nist.gov"],
      ["3.1", 8.6, "134c704f-9b21-4f2e-91b3-4a467353bcc0"],
      ["3.0", 7.5, "security@golang.org"],
    ]);
    expect(record?.cweIds).toEqual(["CWE-400"]);
  });

  it("orders versions newest first and gathers CWEs from every weakness", async () => {
    const record = await source().lookup("CVE-2021-44228");
    expect(record?.cvss.map((c) => [c.version, c.baseScore])).toEqual([
      ["3.1", 10],
      ["2.0", 9.3],
    ]);
    expect(record?.cweIds).toEqual(["CWE-20", "CWE-400", "CWE-502", "CWE-917"]);
  });

  it.each([
    ["no metrics", "CVE-2025-31115", "Received"],
    ["a Rejected record", "CVE-2023-52425", "Rejected"],
  ])("answers an empty cvss for %s", async (_name, id, vulnStatus) => {
    expect(await source().lookup(id)).toMatchObject({ cvss: [], cweIds: [], vulnStatus });
  });

  it("leaves out unusable entries and fields, sorts Primary first, de-duplicates CWEs", async () => {
    expect(await source().lookup("CVE-2099-0001")).toEqual({
      cvss: [
        { version: "3.1", baseScore: 7.5, vector: "CVSS:3.1/AV:N", source: "nvd@nist.gov" },
        { version: "3.1", baseScore: 8.6, vector: null, source: "cna@example.org" },
      ],
      cweIds: ["CWE-79"],
      vulnStatus: null,
      published: null,
      lastModified: "2025-04-02T20:15:34.017",
    });
  });

  it("answers null for an id NVD does not know", async () => {
    expect(await source().lookup("CVE-1999-99999")).toBeNull();
  });

  it.each([
    ["not an object", '"hello"', /vulnerabilities list/],
    ["no list", '{"totalResults":1}', /vulnerabilities list/],
    ["no cve", '{"totalResults":1,"vulnerabilities":[{"id":1}]}', /without a cve record/],
    ["another id", '{"totalResults":1,"vulnerabilities":[{"cve":{"id":"CVE-2000-0001"}}]}', /CVE-2000-0001/],
  ])("throws a SourceError for an envelope with %s", async (_name, body, message) => {
    garbageBody = body;
    const { port } = garbage.address() as AddressInfo;
    const error = await failure(source({ url: `http://127.0.0.1:${port}/cves` }).lookup("CVE-2021-44228"));
    expect(error.message).toMatch(message);
  });
});

describe("NVD API key", () => {
  it("sends the key as the apiKey header only when set", async () => {
    await source({ apiKey: KEY }).lookup("CVE-2005-2541");
    await source({ apiKey: "" }).lookup("CVE-2005-2541");
    await source().lookup("CVE-2005-2541");
    expect(nvd.requests.map((r) => r.headers.apikey)).toEqual([KEY, undefined, undefined]);
  });

  it("throws a SourceError at once for a key NVD rejects", async () => {
    const error = await failure(source({ apiKey: "wrong" }).lookup("CVE-2005-2541"));
    expect(error.message).toMatch(/404.*apiKey/);
    expect(nvd.badKey).toBe(1);
    expect(nvd.requests).toHaveLength(1);
  });
});

describe("NVD rate limit", () => {
  const ids = ["CVE-2005-2541", "CVE-2025-24813", "CVE-2023-44487", "CVE-2025-31115", "CVE-2021-44228"];
  const lookups = (count: number, apiKey: string | null) => {
    const nvdSource = source({ url: paced.endpoint, apiKey, windowMs: 1_000 });
    return Promise.all(Array.from({ length: count }, (_, i) => nvdSource.lookup(ids[i % ids.length] ?? "")));
  };

  it("keeps 12 concurrent lookups to 5 starts per window, five at a time", async () => {
    const started = performance.now();
    const records = await lookups(12, null);
    const elapsed = performance.now() - started;
    expect(records.every((r) => r !== null)).toBe(true);
    expect(paced.rateLimited).toBe(0);
    expect(paced.peakInWindow).toBe(5);
    const at = times(paced);
    for (let i = 5; i < at.length; i++) expect((at[i] ?? 0) - (at[i - 5] ?? 0)).toBeGreaterThanOrEqual(1_000);
    // Not serialised: each window's five start together; 12 take two windows, not 12.
    expect((at[4] ?? 0) - (at[0] ?? 0)).toBeLessThan(200);
    expect((at[9] ?? 0) - (at[5] ?? 0)).toBeLessThan(200);
    expect(elapsed).toBeGreaterThanOrEqual(2_000);
    expect(elapsed).toBeLessThan(3_000);
  });

  it("keeps two workers sharing a quota to 5 starts per window between them", async () => {
    const { keyPrefix } = ownQuota();
    const connections = [new Redis(redisUrl()), new Redis(redisUrl())];
    const workers = connections.map((redis) =>
      source({ url: paced.endpoint, windowMs: 1_000, shared: { redis, keyPrefix } }),
    );
    try {
      const records = await Promise.all(
        Array.from({ length: 12 }, (_, i) => workers[i % 2]?.lookup(ids[i % ids.length] ?? "")),
      );
      expect(records.every((r) => r !== null)).toBe(true);
      expect(paced.rateLimited).toBe(0);
      expect(paced.peakInWindow).toBe(5);
      const at = times(paced);
      for (let i = 5; i < at.length; i++)
        expect((at[i] ?? 0) - (at[i - 5] ?? 0)).toBeGreaterThanOrEqual(1_000);
    } finally {
      for (const redis of connections) redis.disconnect();
    }
  });

  it("allows 50 starts per window with a key", async () => {
    await lookups(55, KEY);
    expect(paced.rateLimited).toBe(0);
    expect(paced.peakInWindow).toBe(50);
    const at = times(paced);
    // The first 50 all start inside the first window; the 51st waits for the next.
    expect((at[49] ?? 0) - (at[0] ?? 0)).toBeLessThan(1_000);
    expect((at[50] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(1_000);
  });

  it("counts sequential calls of one source in the same window", async () => {
    const nvdSource = source({ url: paced.endpoint, windowMs: 1_000 });
    for (let i = 0; i < 6; i++) await nvdSource.lookup("CVE-2005-2541");
    expect(paced.rateLimited).toBe(0);
    const at = times(paced);
    expect((at[5] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(1_000);
  });

  it("stops waiting for a slot when the signal aborts", async () => {
    const nvdSource = source({ url: paced.endpoint, windowMs: 1_000 });
    await Promise.all(Array.from({ length: 5 }, () => nvdSource.lookup("CVE-2005-2541")));
    const abort = new AbortController();
    const started = performance.now();
    setTimeout(() => abort.abort(new Error("shutting down")), 100);
    await expect(nvdSource.lookup("CVE-2005-2541", abort.signal)).rejects.toThrow("shutting down");
    expect(performance.now() - started).toBeLessThan(500);
    expect(paced.requests).toHaveLength(5);
  });

  it("waits out the server's own refusals (another client on the same quota)", async () => {
    // A source whose window is too short: NVD refuses with Retry-After, the source waits and retries.
    const nvdSource = source({ url: paced.endpoint, windowMs: 100 });
    const records = await Promise.all(Array.from({ length: 7 }, () => nvdSource.lookup("CVE-2005-2541")));
    expect(records.every((r) => r?.cvss[0]?.baseScore === 10)).toBe(true);
    // Five admitted, the next two (about 100 ms later) refused with Retry-After: 1, then admitted.
    const refused = paced.requests.filter((r) => r.status === 403).map((r) => r.at);
    const admitted = paced.requests.filter((r) => r.status === 200).map((r) => r.at);
    expect(refused).toHaveLength(2);
    expect(admitted).toHaveLength(7);
    for (const retry of admitted.slice(5)) expect(retry - Math.max(...refused)).toBeGreaterThanOrEqual(990);
  });
});

describe("NVD back-off", () => {
  it.each([403, 429, 503] as const)("honours Retry-After on %i, then retries", async (status) => {
    nvd.queueFaults([{ kind: "http", status, retryAfter: 1 }]);
    const record = await source().lookup("CVE-2005-2541");
    expect(record?.cvss[0]?.baseScore).toBe(10);
    expect(nvd.requests.map((r) => r.status)).toEqual([status, 200]);
    expect(gap(nvd, 1)).toBeGreaterThanOrEqual(990);
    expect(gap(nvd, 1)).toBeLessThan(1_500);
  });

  it("backs off exponentially from retryBaseMs without a Retry-After", async () => {
    nvd.queueFaults([
      { kind: "http", status: 503 },
      { kind: "http", status: 503 },
    ]);
    expect(await source({ retryBaseMs: 100 }).lookup("CVE-2005-2541")).not.toBeNull();
    expect(nvd.requests).toHaveLength(3);
    expect(gap(nvd, 1)).toBeGreaterThanOrEqual(95);
    expect(gap(nvd, 2)).toBeGreaterThanOrEqual(195);
  });

  it("caps a long Retry-After", async () => {
    nvd.queueFaults([{ kind: "http", status: 429, retryAfter: 600 }]);
    expect(await source({ maxRetryWaitMs: 200 }).lookup("CVE-2005-2541")).not.toBeNull();
    expect(gap(nvd, 1)).toBeGreaterThanOrEqual(195);
    expect(gap(nvd, 1)).toBeLessThan(1_000);
  });

  it("throws the SourceError once the retries are used up", async () => {
    nvd.setFault({ kind: "http", status: 503 });
    const error = await failure(source({ maxRetries: 2 }).lookup("CVE-2005-2541"));
    expect(error.message).toMatch(/503 after 2 retries/);
    expect(nvd.requests).toHaveLength(3);
  });

  it("keeps the Retry-After on the final SourceError", async () => {
    nvd.setFault({ kind: "http", status: 429, retryAfter: 7 });
    const error = await failure(source({ maxRetries: 0 }).lookup("CVE-2005-2541"));
    expect(error.retryAfterSeconds).toBe(7);
    expect(nvd.requests).toHaveLength(1);
  });

  it("ends a back-off early when the signal aborts", async () => {
    nvd.queueFaults([{ kind: "http", status: 429, retryAfter: 30 }]);
    const abort = new AbortController();
    const started = performance.now();
    setTimeout(() => abort.abort(new Error("shutting down")), 100);
    await expect(source().lookup("CVE-2005-2541", abort.signal)).rejects.toThrow("shutting down");
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(nvd.requests).toHaveLength(1);
  });
});

describe("NVD faults", () => {
  it.each([
    ["a timeout", { kind: "delay", ms: 1_500 }, /did not answer within 200 ms/],
    ["an HTML page", { kind: "html" }, /HTML page/],
    ["truncated JSON", { kind: "truncate" }, /does not parse/],
    ["a reset connection", { kind: "reset" }, /cannot reach/],
    ["a 500", { kind: "http", status: 500 }, /answered 500/],
    ["a 502", { kind: "http", status: 502 }, /answered 502/],
  ] as const)("throws a SourceError at once for %s", async (_name, fault, message) => {
    nvd.setFault(fault);
    const error = await failure(source({ timeoutMs: 200 }).lookup("CVE-2005-2541"));
    expect(error.message).toMatch(/^NVD: /);
    expect(error.message).toMatch(message);
    expect(nvd.requests).toHaveLength(1);
  });
});
