import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EpssScore, StubEpss } from "../src/stub-epss.js";
import { defaultEpssScores, startStubEpss } from "../src/stub-epss.js";

interface EpssPage {
  total: number;
  offset: number;
  limit: number;
  data: { cve: string; epss: string; percentile: string; date: string }[];
}

let epss: StubEpss;

beforeEach(async () => {
  epss = await startStubEpss();
});
afterEach(async () => {
  await epss.close();
});

const ask = async (query: string) => {
  const res = await fetch(`${epss.endpoint}?${query}`);
  return { res, body: (await res.json()) as EpssPage & Record<string, unknown> };
};

/** `count` distinct, real-looking CVE ids with scores. */
function manyScores(count: number): Map<string, EpssScore> {
  return new Map(
    Array.from({ length: count }, (_, i) => [
      `CVE-2024-${String(21_000 + i)}`,
      { epss: (i + 1) / 10_000, percentile: (i + 1) / (count + 1) },
    ]),
  );
}

describe(startStubEpss.name, () => {
  it("should answer FIRST's envelope with string scores and leave unknown CVEs out", async () => {
    const { res, body } = await ask("cve=CVE-2021-44228,CVE-2099-0001,CVE-2022-27225");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(body).toMatchObject({
      status: "OK",
      "status-code": 200,
      version: "1.0",
      access: "public",
      total: 2,
      offset: 0,
      limit: 100,
    });
    expect(body.data).toEqual([
      { cve: "CVE-2021-44228", epss: "0.943580000", percentile: "0.999570000", date: expect.any(String) },
      // Older rows keep their original formatting and date.
      { cve: "CVE-2022-27225", epss: "0.000430000", percentile: "0.07020", date: "2022-03-05" },
    ]);
    expect(body.data[0]?.date).toMatch(/^\d{4}-\d\d-\d\d$/);
    expect(epss.requests[0]?.query.cve).toBe("CVE-2021-44228,CVE-2099-0001,CVE-2022-27225");
  });

  it("should page at 100 rows by default, like the real API", async () => {
    const scores = manyScores(150);
    epss.setScores(scores);
    // 150 ids never fit in 2,000 characters (≥ 13 each plus commas); 120 do.
    const ids = [...scores.keys()].slice(0, 120);
    const list = ids.join(",");
    expect(list.length).toBeLessThanOrEqual(2_000);

    const first = await ask(`cve=${list}`);
    expect(first.body).toMatchObject({ total: 120, offset: 0, limit: 100 });
    expect(first.body.data.map((r) => r.cve)).toEqual(ids.slice(0, 100));
    const second = await ask(`cve=${list}&offset=100`);
    expect(second.body).toMatchObject({ total: 120, offset: 100, limit: 100 });
    expect(second.body.data.map((r) => r.cve)).toEqual(ids.slice(100));
    const raised = await ask(`cve=${list}&limit=200`);
    expect(raised.body).toMatchObject({ total: 120, limit: 200 });
    expect(raised.body.data).toHaveLength(120);
    // Without `cve` it pages through everything it scores.
    const all = await ask("limit=10&offset=145");
    expect(all.body).toMatchObject({ total: 150, offset: 145, limit: 10 });
    expect(all.body.data).toHaveLength(5);
    const everything = await ask("");
    expect(everything.body).toMatchObject({ total: 150, limit: 100 });
    expect(everything.body.data).toHaveLength(100);
  });

  it("should refuse a cve list over 2,000 characters with a JSON 400, and count it", async () => {
    const ids = [...manyScores(150).keys()]; // 150 × 15 − 1 = 2,249 characters
    expect(epss.tooLong).toBe(0);
    const { res, body } = await ask(`cve=${ids.join(",")}`);
    expect(res.status).toBe(400);
    expect(body).toMatchObject({
      status: "error",
      "status-code": 400,
      message: expect.stringMatching(/2000/),
    });
    expect(epss.tooLong).toBe(1);
    expect(epss.requests[0]?.status).toBe(400);
    const exactly = ids.join(",").slice(0, 2_000);
    expect((await ask(`cve=${exactly}`)).res.status).toBe(200);
    expect(epss.tooLong).toBe(1);
    expect(epss.calls).toBe(2);
  });

  it("should report the asked date for history queries", async () => {
    const { body } = await ask("cve=CVE-2021-44228&date=2022-02-28");
    expect(body.data).toEqual([expect.objectContaining({ cve: "CVE-2021-44228", date: "2022-02-28" })]);
  });

  it("should accept scores as a plain record and replace them wholesale", async () => {
    epss.setScores({ "CVE-2024-3094": { epss: 0.85, percentile: "0.993400000", date: "2025-06-12" } });
    const { body } = await ask("cve=CVE-2024-3094,CVE-2021-44228");
    expect(body.data).toEqual([
      { cve: "CVE-2024-3094", epss: "0.850000000", percentile: "0.993400000", date: "2025-06-12" },
    ]);
    expect(defaultEpssScores().has("CVE-2021-44228")).toBe(true);
  });
});
