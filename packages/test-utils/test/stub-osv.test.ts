import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { OsvVuln, StubOsv } from "../src/stub-osv.js";
import { defaultOsvVulns, ghsaVuln, goVuln, pysecVuln, startStubOsv } from "../src/stub-osv.js";

let osv: StubOsv;

beforeEach(async () => {
  osv = await startStubOsv();
});
afterEach(async () => {
  await osv.close();
});

const batch = async (queries: unknown[]) => {
  const res = await fetch(`${osv.apiRoot}/v1/querybatch`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ queries }),
  });
  return { res, body: (await res.json()) as { results: { vulns?: { id: string; modified: string }[] }[] } };
};

const vuln = async (id: string) => {
  const res = await fetch(`${osv.apiRoot}/v1/vulns/${encodeURIComponent(id)}`);
  return { res, body: (await res.json()) as OsvVuln & { code?: number; message?: string } };
};

describe(startStubOsv.name, () => {
  it("should answer a batch with ids and modified times only, and {} for a query with no match", async () => {
    const { res, body } = await batch([
      { package: { name: "org.apache.logging.log4j:log4j-core", ecosystem: "Maven" }, version: "2.14.1" },
      { package: { purl: "pkg:pypi/pillow@9.5.0" } },
      {
        package: { name: "github.com/gomarkdown/markdown", ecosystem: "Go" },
        version: "0.0.0-20240101000000-aaaaaaaaaaaa",
      },
      { package: { name: "org.apache.logging.log4j:log4j-core", ecosystem: "Maven" }, version: "2.17.1" },
      { package: { name: "left-pad", ecosystem: "npm" }, version: "1.3.0" },
      { package: { purl: "pkg:maven/org.apache.logging.log4j/log4j-core" } },
    ]);
    expect(res.status).toBe(200);
    expect(body.results).toEqual([
      { vulns: [{ id: "GHSA-jfh8-c2jp-5v3q", modified: "2025-02-04T22:17:11.573619Z" }] },
      { vulns: [{ id: "PYSEC-2023-175", modified: expect.any(String) }] },
      { vulns: [{ id: "GO-2024-3068", modified: expect.any(String) }] },
      {},
      {},
      { vulns: [{ id: "GHSA-jfh8-c2jp-5v3q", modified: expect.any(String) }] },
    ]);
    expect(osv.batchCalls).toBe(1);
    expect(JSON.parse(osv.requests[0]?.body ?? "{}").queries).toHaveLength(6);
  });

  it("should serve full records: a GHSA with its CVE, a GO- id with no alias key, a PYSEC with two", async () => {
    const ghsa = await vuln("GHSA-jfh8-c2jp-5v3q");
    expect(ghsa.res.status).toBe(200);
    expect(ghsa.body).toMatchObject({
      id: "GHSA-jfh8-c2jp-5v3q",
      aliases: ["CVE-2021-44228"],
      published: "2021-12-10T00:40:56Z",
      severity: [{ type: "CVSS_V3", score: expect.stringMatching(/^CVSS:3\.1\//) }],
      affected: [{ package: { ecosystem: "Maven" } }],
      references: expect.arrayContaining([expect.objectContaining({ type: "ADVISORY" })]),
    });
    const go = await vuln("GO-2024-3068");
    expect(go.body.id).toBe("GO-2024-3068");
    expect(go.body).not.toHaveProperty("aliases");
    expect(go.body).not.toHaveProperty("severity");
    const pysec = await vuln("PYSEC-2023-175");
    expect(pysec.body.aliases).toEqual(["CVE-2023-44271", "GHSA-8ghj-p4vj-mr35"]);
    expect(osv.vulnCalls).toBe(3);
  });

  it("should answer an unknown id with OSV's 404 body", async () => {
    const { res, body } = await vuln("GHSA-xxxx-yyyy-zzzz");
    expect(res.status).toBe(404);
    expect(body).toEqual({ code: 5, message: "Bug not found." });
  });

  it("should refuse a malformed batch and take new records", async () => {
    const bad = await fetch(`${osv.apiRoot}/v1/querybatch`, { method: "POST", body: "{not json" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 3 });
    osv.setVulns([
      ghsaVuln("GHSA-8qq5-rm4j-mr97", "CVE-2023-46604"),
      goVuln("GO-2023-2102", { aliases: ["CVE-2023-44487", "GHSA-qppj-fm5r-hxr3"] }),
      pysecVuln("PYSEC-2021-59", ["CVE-2021-27921", "CVE-2021-27922"]),
    ]);
    expect((await vuln("GO-2023-2102")).body.aliases).toContain("CVE-2023-44487");
    expect((await vuln("PYSEC-2021-59")).body.aliases).toEqual(["CVE-2021-27921", "CVE-2021-27922"]);
    expect((await vuln("GHSA-jfh8-c2jp-5v3q")).res.status).toBe(404);
    expect(defaultOsvVulns().map((v) => v.id)).toContain("GHSA-jfh8-c2jp-5v3q");
  });
});
