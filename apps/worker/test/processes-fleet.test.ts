import {
  type StubEpss,
  type StubKev,
  type StubNvd,
  startStubEpss,
  startStubKev,
  startStubNvd,
} from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Stack,
  spawnApiProcess,
  spawnWorkerProcess,
  startStack,
  trivyReport,
  uploadReport,
  type WorkerProcess,
  waitFor,
} from "./helpers.js";

// Two compiled worker processes of one fleet (same Redis, same prefix) enriching at once: KEV's
// catalogue is fetched once between them and NVD's 5-per-30-s limit holds for the pair, not each.
describe("a fleet of two worker processes", () => {
  let stack: Stack;
  let kev: StubKev;
  let epss: StubEpss;
  let nvd: StubNvd;
  let api: WorkerProcess;
  let workers: WorkerProcess[] = [];
  let url: string;

  beforeAll(async () => {
    stack = await startStack({ startWorker: false, startEnrichment: false });
    [kev, epss, nvd] = await Promise.all([startStubKev(), startStubEpss(), startStubNvd()]);
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    url = `http://127.0.0.1:${port}`;
    api = spawnApiProcess(stack, port);
    const env = {
      ENRICHMENT: "online",
      KEV_URL: kev.feedUrl,
      EPSS_API_URL: epss.endpoint,
      NVD_API_URL: nvd.endpoint,
      // No OSV in these reports; pointed at a closed port all the same, never at the internet.
      OSV_API_URL: "http://127.0.0.1:9",
    };
    workers = [spawnWorkerProcess(stack, env), spawnWorkerProcess(stack, env)];
    await waitFor("the API process", async () => (await fetch(`${url}/health`).catch(() => undefined))?.ok);
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await api?.stop();
    await stack?.close();
    await Promise.all([kev?.close(), epss?.close(), nvd?.close()]);
  });

  it("should fetch KEV once and keep NVD to 5 requests per rolling 30 s between them", async () => {
    // Four scans at once, seven distinct CVEs without CVSS between them: NVD must see five, then
    // the other two a window later — seven in one window if each worker kept its own limit.
    const reports = [0, 1, 2, 3].map((i) =>
      trivyReport(`registry.example.com/fleet/app-${i}:1`, [
        { id: `CVE-2024-7${i}00`, pkg: `fleet-a-${i}` },
        { id: `CVE-2024-7${i}01`, pkg: `fleet-b-${i}` },
        ...(i < 3 ? [] : [{ id: "CVE-2024-7000", pkg: "fleet-shared" }]),
      ]),
    );
    const uploaded = await Promise.all(reports.map((report) => uploadReport(url, report)));
    expect(uploaded.map((u) => u.status)).toEqual([201, 201, 201, 201]);
    await waitFor(
      "NVD asked about every CVE",
      async () => new Set(nvd.requests.map((r) => r.query.cveId)).size === 8,
      75_000,
    );
    expect(nvd.rateLimited).toBe(0);
    expect(nvd.peakInWindow).toBeLessThanOrEqual(5);
    // Each CVE once, though two of the scans share one.
    expect(nvd.requests).toHaveLength(8);
    expect(kev.feedCalls).toBe(1);
  }, 90_000);
});
