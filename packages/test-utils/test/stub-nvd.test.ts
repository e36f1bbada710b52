import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { StubNvd, StubNvdOptions } from "../src/stub-nvd.js";
import { startStubNvd } from "../src/stub-nvd.js";
import type { NvdCve } from "../src/stub-nvd-records.js";
import {
  nvdNoMetricsRecord,
  nvdRejectedRecord,
  nvdV2OnlyRecord,
  nvdV4OnlyRecord,
  nvdV31Record,
} from "../src/stub-nvd-records.js";

interface NvdPage {
  resultsPerPage: number;
  startIndex: number;
  totalResults: number;
  format: string;
  version: string;
  timestamp: string;
  vulnerabilities: { cve: NvdCve }[];
}

let nvd: StubNvd | undefined;

async function start(options: StubNvdOptions = {}): Promise<StubNvd> {
  nvd = await startStubNvd(options);
  return nvd;
}
afterEach(async () => {
  await nvd?.close();
  nvd = undefined;
});

const get = (stub: StubNvd, cveId: string, headers: Record<string, string> = {}) =>
  fetch(`${stub.endpoint}?cveId=${cveId}`, { headers });

async function cveOf(stub: StubNvd, cveId: string): Promise<NvdCve | undefined> {
  const body = (await (await get(stub, cveId)).json()) as NvdPage;
  return body.vulnerabilities[0]?.cve;
}

describe(startStubNvd.name, () => {
  it("should answer one CVE in the 2.0 envelope, and an unknown id with no result", async () => {
    const stub = await start({ limit: 100 });
    const res = await get(stub, "CVE-2021-44228");
    expect(res.status).toBe(200);
    const page = (await res.json()) as NvdPage;
    expect(page).toMatchObject({
      resultsPerPage: 1,
      startIndex: 0,
      totalResults: 1,
      format: "NVD_CVE",
      version: "2.0",
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/),
    });
    expect(page.vulnerabilities[0]?.cve).toMatchObject({
      id: "CVE-2021-44228",
      vulnStatus: "Modified",
      cisaExploitAdd: "2021-12-10",
      metrics: { cvssMetricV31: [{ type: "Primary", cvssData: { baseScore: 10 } }] },
    });

    const unknown = (await (await get(stub, "CVE-2099-0001")).json()) as NvdPage;
    expect(unknown).toMatchObject({ resultsPerPage: 0, totalResults: 0, vulnerabilities: [] });
    expect(stub.requests.map((r) => r.query.cveId)).toEqual(["CVE-2021-44228", "CVE-2099-0001"]);
  });

  it("should serve every metric layout the builders make", async () => {
    const stub = await start({ limit: 100 });
    const v2 = await cveOf(stub, nvdV2OnlyRecord().id);
    expect(Object.keys(v2?.metrics ?? {})).toEqual(["cvssMetricV2"]);
    // v2 keeps baseSeverity beside cvssData, not inside it.
    expect(v2?.metrics.cvssMetricV2?.[0]).toMatchObject({
      baseSeverity: "HIGH",
      cvssData: { version: "2.0" },
    });
    expect(v2?.metrics.cvssMetricV2?.[0]?.cvssData).not.toHaveProperty("baseSeverity");
    expect(v2?.weaknesses?.[0]?.description[0]?.value).toBe("NVD-CWE-Other");

    const v4 = await cveOf(stub, nvdV4OnlyRecord().id);
    expect(Object.keys(v4?.metrics ?? {})).toEqual(["cvssMetricV40"]);
    expect(v4?.metrics.cvssMetricV40?.[0]).toMatchObject({ type: "Secondary", cvssData: { version: "4.0" } });
    expect(v4?.descriptions.map((d) => d.lang)).toEqual(["en", "es"]);

    const v31 = (await cveOf(stub, nvdV31Record().id))?.metrics.cvssMetricV31 ?? [];
    expect(v31.map((m) => [m.type, m.cvssData.baseScore])).toEqual([
      ["Primary", 7.5],
      ["Secondary", 8.6],
    ]);

    const bare = await cveOf(stub, nvdNoMetricsRecord().id);
    expect(bare?.metrics).toEqual({});
    expect(bare).not.toHaveProperty("weaknesses");

    const rejected = await cveOf(stub, nvdRejectedRecord().id);
    expect(rejected).toMatchObject({ vulnStatus: "Rejected", metrics: {}, references: [] });
    expect(rejected?.descriptions[0]?.value).toMatch(/^Rejected reason:/);
  });

  it("should take custom records and page through them without a cveId", async () => {
    const records = ["CVE-2024-0001", "CVE-2024-0002", "CVE-2024-0003"].map((id) => nvdNoMetricsRecord(id));
    const stub = await start({ records, limit: 100 });
    const page = (await (await fetch(`${stub.endpoint}?startIndex=1&resultsPerPage=1`)).json()) as NvdPage;
    expect(page).toMatchObject({ resultsPerPage: 1, startIndex: 1, totalResults: 3 });
    expect(page.vulnerabilities[0]?.cve.id).toBe("CVE-2024-0002");
    stub.setRecords([nvdRejectedRecord("CVE-2024-0009")]);
    expect((await cveOf(stub, "CVE-2024-0009"))?.vulnStatus).toBe("Rejected");
  });

  it("should enforce 5 requests per rolling window without a key, with Retry-After", async () => {
    const stub = await start({ windowMs: 600 });
    const statuses = async (n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const res = await get(stub, "CVE-2021-44228");
        await res.arrayBuffer();
        out.push(res.status);
        if (res.status === 403) expect(res.headers.get("retry-after")).toBe("1");
      }
      return out;
    };
    expect(await statuses(3)).toEqual([200, 200, 200]);
    await sleep(300);
    expect(await statuses(3)).toEqual([200, 200, 403]);
    expect(stub.rateLimited).toBe(1);
    // Rolling, not fixed: once the first three leave the window, three slots free up, not five.
    await sleep(350);
    expect(await statuses(4)).toEqual([200, 200, 200, 403]);
    expect(stub.peakInWindow).toBeGreaterThan(5); // this client did not pace itself
    expect(stub.requests.filter((r) => r.status === 403)).toHaveLength(2);
  });

  it("should let a paced client through, and say so from the request timestamps", async () => {
    const stub = await start({ windowMs: 200 });
    for (let i = 0; i < 12; i++) {
      if (i > 0 && i % 5 === 0) await sleep(210);
      const res = await get(stub, "CVE-2021-44228");
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    expect(stub.peakInWindow).toBe(5);
    expect(stub.rateLimited).toBe(0);
    expect(stub.requests.every((r, i) => i === 0 || r.at >= (stub.requests[i - 1]?.at ?? 0))).toBe(true);
  });

  it("should allow 50 with the right apiKey, 404 a wrong one, and use the configured status", async () => {
    const stub = await start({
      apiKey: "0f8d1c2e-5b7a-4c1d-9e3f-2a6b8c0d4e1f",
      windowMs: 5_000,
      limitStatus: 429,
    });
    const keyed = { apiKey: "0f8d1c2e-5b7a-4c1d-9e3f-2a6b8c0d4e1f" };
    const results = await Promise.all(
      Array.from({ length: 51 }, async () => {
        const res = await get(stub, "CVE-2021-44228", keyed);
        await res.arrayBuffer();
        return res.status;
      }),
    );
    expect(results.filter((s) => s === 200)).toHaveLength(50);
    expect(results.filter((s) => s === 429)).toHaveLength(1);
    // The anonymous allowance is separate from the key's.
    expect((await get(stub, "CVE-2021-44228")).status).toBe(200);

    const wrong = await get(stub, "CVE-2021-44228", { apiKey: "not-my-key" });
    expect(wrong.status).toBe(404);
    expect(await wrong.text()).toBe("");
    expect(stub.badKey).toBe(1);
  });

  it("should forget its window and counters on reset()", async () => {
    const stub = await start({ limit: 1, windowMs: 60_000 });
    expect((await get(stub, "CVE-2021-44228")).status).toBe(200);
    expect((await get(stub, "CVE-2021-44228")).status).toBe(403);
    stub.reset();
    expect(stub).toMatchObject({ calls: 0, rateLimited: 0, peakInWindow: 0, requests: [] });
    expect((await get(stub, "CVE-2021-44228")).status).toBe(200);
  });
});
