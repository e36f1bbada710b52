import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chatRequestsFor,
  findingRows,
  getJson,
  type ReportVuln,
  type Stack,
  startStack,
  statusCounts,
  trivyReport,
  uploadReport,
  userMessageOf,
  waitFor,
} from "./helpers.js";

// One advisory hitting many binary packages of one source package is one question.
const CVE = "CVE-2020-13844";
const SOURCE_PACKAGES = Array.from({ length: 23 }, (_, i) => `libgcc-part-${String.fromCharCode(97 + i)}`);

function advisory(pkg: string, version = "10.2.1-6"): ReportVuln {
  return {
    id: CVE,
    pkg,
    version,
    fixed: "",
    severity: "MEDIUM",
    title: "kernel: ARM straight-line speculation",
    description:
      "Arm processors may speculatively execute instructions past an unconditional change in control flow.",
  };
}

const shuffled = <T>(items: T[]): T[] =>
  items
    .map((item, i) => ({ item, key: (i * 7919) % 23 }))
    .sort((a, b) => a.key - b.key)
    .map((x) => x.item);

async function uploadAndSettle(stack: Stack, image: string, vulns: ReportVuln[]): Promise<number> {
  const uploaded = await uploadReport(stack.url, trivyReport(image, vulns));
  expect(uploaded.status).toBe(201);
  const scanId = uploaded.body.scan.id as number;
  await waitFor(`${image} analysed`, async () => {
    const counts = await statusCounts(stack.database, scanId);
    return counts.completed === vulns.length && counts;
  });
  return scanId;
}

function dataOf(user: string): { packages: string[]; vulnerability_id: string; installed_version: string } {
  return JSON.parse(user.slice(user.indexOf("<finding>") + 9, user.indexOf("</finding>")));
}

describe("advisory questions", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("should ask once for a 23-package advisory, name every package, and copy the answer to each finding", async () => {
    const other: ReportVuln = { id: "CVE-2023-0001", pkg: "zlib1g", version: "1:1.2.13", fixed: "1:1.3" };
    const scanId = await uploadAndSettle(stack, "fleet/base-a", [
      ...SOURCE_PACKAGES.map((p) => advisory(p)),
      other,
    ]);
    expect(stack.fake.chatCalls).toBe(2);

    const asked = stack.fake.requests
      .filter((r) => r.path === "/api/chat")
      .map((r) => dataOf(userMessageOf(r) as string))
      .find((d) => d.vulnerability_id === CVE);
    expect(asked?.packages).toEqual([...SOURCE_PACKAGES].sort());

    const rows = (await findingRows(stack.database, scanId)).filter((r) => r.pkg !== "zlib1g");
    expect(rows).toHaveLength(23);
    const hashes = new Set(rows.map((r) => r.promptHash));
    expect(hashes.size).toBe(1);
    const [first] = rows;
    for (const row of rows) {
      expect(row.status).toBe("completed");
      expect(row.analysisHash).toBe(first?.promptHash);
      expect({ s: row.summary, r: row.recommendations, n: row.score }).toEqual({
        s: first?.summary,
        r: first?.recommendations,
        n: first?.score,
      });
    }
    // Each finding still reads as its own package, with the shared answer beside it.
    const { body: detail } = await getJson(`${stack.url}/api/container/findings/${first?.id}`);
    expect(detail.pkg_name).toBe(first?.pkg);
    expect(detail.llm_analysis_summary).toBe(first?.summary);
    expect(detail.llm_analysis_status).toBe("completed");
  });

  it("should make no call for another image with the same package set, in any order and under other targets", async () => {
    const before = stack.fake.chatCalls;
    await uploadAndSettle(
      stack,
      "fleet/service-b",
      shuffled(SOURCE_PACKAGES).map((p) => advisory(p)),
    );
    expect(stack.fake.chatCalls).toBe(before);
  });

  it("should make one new question when a package joins the set or the installed version differs", async () => {
    const before = stack.fake.chatCalls;
    await uploadAndSettle(
      stack,
      "fleet/service-c",
      [...SOURCE_PACKAGES, "libgcc-part-extra"].map((p) => advisory(p)),
    );
    expect(stack.fake.chatCalls).toBe(before + 1);

    await uploadAndSettle(stack, "fleet/service-d", [
      ...SOURCE_PACKAGES.slice(0, 5).map((p) => advisory(p, "10.2.1-7")),
      ...SOURCE_PACKAGES.slice(5).map((p) => advisory(p)),
    ]);
    // The 18 packages at the old version are a set never asked before, so is the 5 at the new one.
    expect(stack.fake.chatCalls).toBe(before + 3);
    const last = stack.fake.requests.filter((r) => r.path === "/api/chat").slice(-2);
    const sets = last
      .map((r) => dataOf(userMessageOf(r) as string))
      .map((d) => [d.installed_version, d.packages.length]);
    expect(sets.sort()).toEqual([
      ["10.2.1-6", 18],
      ["10.2.1-7", 5],
    ]);
    expect(chatRequestsFor(stack.fake, userMessageOf(last[0] as never) as string)).toHaveLength(1);
  });
});
