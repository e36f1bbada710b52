import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { StubBase, StubFault } from "../src/index.js";
import { startStubEpss } from "../src/stub-epss.js";
import { startStubKev } from "../src/stub-kev.js";
import { startStubNvd } from "../src/stub-nvd.js";
import { startStubOsv } from "../src/stub-osv.js";

interface Target {
  name: string;
  stub: StubBase;
  /** A URL the stub answers normally with JSON. */
  url: string;
}

const targets: Target[] = [];

beforeAll(async () => {
  const [kev, epss, nvd, osv] = await Promise.all([
    startStubKev(),
    startStubEpss(),
    startStubNvd({ limit: 1_000 }), // these tests are about faults, not pacing
    startStubOsv(),
  ]);
  targets.push(
    { name: "kev", stub: kev, url: kev.feedUrl },
    { name: "epss", stub: epss, url: `${epss.endpoint}?cve=CVE-2021-44228` },
    { name: "nvd", stub: nvd, url: `${nvd.endpoint}?cveId=CVE-2021-44228` },
    { name: "osv", stub: osv, url: `${osv.apiRoot}/v1/vulns/GHSA-jfh8-c2jp-5v3q` },
  );
});
afterAll(async () => {
  await Promise.all(targets.map((t) => t.stub.close()));
});
beforeEach(() => {
  for (const t of targets) t.stub.reset();
});

/** Resolves with whatever the promise rejects with; fails the test if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<Error & { cause?: { code?: string } }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { cause?: { code?: string } };
  }
  throw new Error("expected the promise to reject");
}

const NAMES = ["kev", "epss", "nvd", "osv"] as const;
const STARTERS = { kev: startStubKev, epss: startStubEpss, nvd: startStubNvd, osv: startStubOsv };
const target = (name: string) => {
  const t = targets.find((x) => x.name === name) as Target;
  return { ...t, request: (init?: RequestInit) => fetch(t.url, init) };
};

describe("enrichment stub faults", () => {
  it.for(NAMES)("%s: should answer normally with JSON when no fault is set", async (name) => {
    const t = target(name);
    const res = await t.request();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    await res.json();
    expect(t.stub.requests).toMatchObject([{ method: "GET", status: 200, fault: undefined }]);
  });

  it.for(NAMES)("%s: should send 403, 429 and 503 with Retry-After", async (name) => {
    const t = target(name);
    const faults: StubFault[] = [
      { kind: "http", status: 403 },
      { kind: "http", status: 429, retryAfter: 7 },
      { kind: "http", status: 503, retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT" },
    ];
    t.stub.queueFaults(faults);
    expect(t.stub.pendingFaults).toBe(3);
    const got = [];
    for (let i = 0; i < 4; i++) {
      const res = await t.request();
      await res.arrayBuffer();
      got.push([res.status, res.headers.get("retry-after")]);
    }
    expect(got).toEqual([
      [403, null],
      [429, "7"],
      [503, "Wed, 21 Oct 2015 07:28:00 GMT"],
      [200, null], // one-shot: the queue is spent
    ]);
    expect(t.stub.requests.map((r) => r.fault)).toEqual(["http", "http", "http", undefined]);
  });

  it.for(NAMES)("%s: should hold an answer back long enough to time a client out", async (name) => {
    const t = target(name);
    t.stub.setFault({ kind: "delay", ms: 400 });
    const timedOut = await rejectionOf(t.request({ signal: AbortSignal.timeout(100) }));
    expect(timedOut.name).toBe("TimeoutError");
    const started = performance.now();
    const res = await t.request();
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
    expect(res.status).toBe(200);
    await res.json(); // delayed, not damaged
  });

  it.for(NAMES)("%s: should cut a JSON body off after a valid start", async (name) => {
    const t = target(name);
    const full = await (await t.request()).text();
    t.stub.setFault({ kind: "truncate" });
    const res = await t.request();
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text.length).toBeLessThan(full.length);
    expect(text.length).toBeGreaterThan(0);
    expect(full.startsWith(text.slice(0, 12))).toBe(true);
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
  });

  it.for(NAMES)("%s: should serve an HTML error page as 200 text/html", async (name) => {
    const t = target(name);
    t.stub.setFault({ kind: "html" });
    const res = await t.request();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    await expect(res.json()).rejects.toThrow(SyntaxError);
  });

  it.for(NAMES)("%s: should reset the connection without an answer", async (name) => {
    const t = target(name);
    t.stub.queueFaults([{ kind: "reset" }]);
    const err = await rejectionOf(t.request());
    expect(err).toBeInstanceOf(TypeError);
    expect(err.cause?.code).toMatch(/ECONNRESET|UND_ERR_SOCKET/);
    expect(t.stub.requests[0]).toMatchObject({ fault: "reset", status: undefined });
    expect((await t.request()).status).toBe(200); // the client's next connection is fine
  });

  it("should keep a persistent fault until cleared, with queued faults first", async () => {
    const t = target("epss");
    t.stub.setFault({ kind: "http", status: 503 });
    t.stub.queueFaults([{ kind: "html" }]);
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const res = await t.request();
      statuses.push(`${res.status} ${res.headers.get("content-type")?.split(";")[0]}`);
      await res.arrayBuffer();
    }
    t.stub.setFault(null);
    statuses.push(String((await t.request()).status));
    expect(statuses).toEqual(["200 text/html", "503 text/plain", "503 text/plain", "200"]);
  });

  it("should clear log, counters and faults on reset(), keeping the server", async () => {
    const t = target("osv");
    t.stub.setFault({ kind: "http", status: 503 });
    t.stub.queueFaults([{ kind: "reset" }, { kind: "reset" }]);
    await rejectionOf(t.request());
    t.stub.reset();
    expect(t.stub).toMatchObject({ requests: [], pendingFaults: 0, batchCalls: 0, vulnCalls: 0 });
    expect((await t.request()).status).toBe(200);
  });

  it.for(NAMES)(
    "%s: close() should be idempotent, end a pending delay and refuse new requests",
    async (name) => {
      const fresh: StubBase = await STARTERS[name]();
      fresh.setFault({ kind: "delay", ms: 60_000 });
      const pending = rejectionOf(fetch(fresh.url)); // handled now: it rejects during close()
      await expect.poll(() => fresh.inFlight).toBe(1);
      const started = performance.now();
      await Promise.all([fresh.close(), fresh.close()]);
      await fresh.close();
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(await pending).toBeInstanceOf(TypeError);
      expect(await rejectionOf(fetch(fresh.url))).toBeInstanceOf(TypeError);
    },
  );
});
