import {
  ghsaVuln,
  goVuln,
  type OsvVuln,
  pysecVuln,
  type StubFault,
  type StubOsv,
  startStubOsv,
} from "@vulntriage/test-utils";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fetchOsvAliases, type OsvAnswer } from "../../src/enrichment/osv.js";

const GHSA = "GHSA-jfh8-c2jp-5v3q";
const GO = "GO-2024-3068";
const PYSEC = "PYSEC-2023-175";
const ODD = "ODD/ID 1"; // must travel URL-encoded

let osv: StubOsv;

beforeAll(async () => {
  osv = await startStubOsv({
    vulns: [
      ghsaVuln(GHSA, "CVE-2021-44228"),
      goVuln(GO),
      // Two CVEs (one lower-case, one repeated) beside a GHSA alias.
      pysecVuln(PYSEC, ["CVE-2023-50447", "GHSA-8ghj-p4vj-mr35", "cve-2023-44271", "CVE-2023-50447"]),
      ghsaVuln(ODD, "CVE-2024-0001"),
      { id: "GHSA-bad", modified: "2025-01-01T00:00:00Z", aliases: "CVE-2024-0002" } as unknown as OsvVuln,
    ],
  });
});
afterAll(async () => {
  await osv?.close();
});
beforeEach(() => {
  osv.reset();
});

const aliases = (ids: string[], options: { concurrency?: number; timeoutMs?: number } = {}) =>
  fetchOsvAliases({ apiRoot: osv.apiRoot, ids, timeoutMs: 2_000, ...options });

describe(fetchOsvAliases.name, () => {
  it("maps GHSA, GO and PYSEC ids to their CVE aliases only", async () => {
    const answers = await aliases([GHSA, GO, PYSEC]);
    expect([...answers]).toEqual<[string, OsvAnswer][]>([
      [GHSA, { aliases: ["CVE-2021-44228"] }],
      [GO, { aliases: [] }],
      [PYSEC, { aliases: ["CVE-2023-44271", "CVE-2023-50447"] }],
    ]);
    expect(osv.requests.map((r) => r.path).sort()).toEqual(
      [`/v1/vulns/${GHSA}`, `/v1/vulns/${GO}`, `/v1/vulns/${PYSEC}`].sort(),
    );
  });

  it("answers no aliases for an id OSV does not have", async () => {
    expect(await aliases(["RUSTSEC-2099-0001"])).toEqual(new Map([["RUSTSEC-2099-0001", { aliases: [] }]]));
    expect(osv.requests[0]?.status).toBe(404);
  });

  it("URL-encodes the id and accepts a root with a trailing slash", async () => {
    const answers = await fetchOsvAliases({ apiRoot: `${osv.apiRoot}/`, ids: [ODD], timeoutMs: 2_000 });
    expect(answers.get(ODD)).toEqual({ aliases: ["CVE-2024-0001"] });
    expect(osv.requests[0]?.path).toBe("/v1/vulns/ODD%2FID%201");
  });

  it("asks once per distinct id and not at all for none", async () => {
    expect((await aliases([GHSA, GHSA, GO])).size).toBe(2);
    expect(osv.vulnCalls).toBe(2);
    expect(await aliases([])).toEqual(new Map());
    expect(osv.vulnCalls).toBe(2);
  });

  it("answers an error for a record whose aliases are not a list", async () => {
    const answer = (await aliases(["GHSA-bad"])).get("GHSA-bad");
    expect(answer).toEqual({ error: expect.stringMatching(/aliases that are not a list/) });
  });

  it.each<[string, StubFault, RegExp]>([
    ["a timeout", { kind: "delay", ms: 1_500 }, /did not answer within 200 ms/],
    ["an HTML page", { kind: "html" }, /HTML page/],
    ["truncated JSON", { kind: "truncate" }, /does not parse/],
    ["a reset connection", { kind: "reset" }, /cannot reach/],
    ["a 503", { kind: "http", status: 503 }, /answered 503/],
  ])("confines %s to the id it hit", async (_name, fault, message) => {
    osv.queueFaults([fault]);
    // One at a time: the first request, hence the first id, takes the fault.
    const answers = await aliases([GHSA, GO, PYSEC], { concurrency: 1, timeoutMs: 200 });
    expect(answers.get(GHSA)).toEqual({ error: expect.stringMatching(message) });
    expect(answers.get(GO)).toEqual({ aliases: [] });
    expect(answers.get(PYSEC)).toEqual({ aliases: ["CVE-2023-44271", "CVE-2023-50447"] });
  });

  it.each([
    [3, 3],
    [undefined, 4],
  ])("keeps at most %s requests in flight", async (concurrency, bound) => {
    osv.setFault({ kind: "delay", ms: 50 });
    const ids = Array.from({ length: 12 }, (_, i) => `GHSA-none-${i}`);
    const answers = await aliases(ids, concurrency === undefined ? {} : { concurrency });
    expect([...answers.values()].every((a) => "aliases" in a && a.aliases.length === 0)).toBe(true);
    expect(osv.vulnCalls).toBe(12);
    expect(osv.peakInFlight).toBe(bound);
  });
});
