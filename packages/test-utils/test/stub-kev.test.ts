import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StubKev } from "../src/stub-kev.js";
import { defaultKevCatalogue, kevEntry, startStubKev } from "../src/stub-kev.js";

const REQUIRED = [
  "cveID",
  "vendorProject",
  "product",
  "vulnerabilityName",
  "dateAdded",
  "shortDescription",
  "requiredAction",
  "dueDate",
];
const KNOWN = new Set([...REQUIRED, "knownRansomwareCampaignUse", "notes", "cwes"]);

let kev: StubKev;

beforeEach(async () => {
  kev = await startStubKev();
});
afterEach(async () => {
  await kev.close();
});

describe(startStubKev.name, () => {
  it("should serve the whole catalogue in CISA's shape, messy entries included", async () => {
    const res = await fetch(kev.feedUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const feed = (await res.json()) as Record<string, unknown> & {
      vulnerabilities: Record<string, unknown>[];
    };
    expect(feed).toMatchObject({
      title: "CISA Catalog of Known Exploited Vulnerabilities",
      catalogVersion: "2025.06.12",
      dateReleased: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/),
      count: defaultKevCatalogue().length,
    });
    expect(feed.vulnerabilities).toHaveLength(feed.count as number);
    for (const entry of feed.vulnerabilities) {
      for (const field of REQUIRED)
        expect(entry[field], `${entry.cveID} ${field}`).toEqual(expect.any(String));
      expect(entry.dateAdded).toMatch(/^\d{4}-\d\d-\d\d$/);
      expect(entry.dueDate).toMatch(/^\d{4}-\d\d-\d\d$/);
      expect((entry.dueDate as string) > (entry.dateAdded as string)).toBe(true);
      if ("knownRansomwareCampaignUse" in entry)
        expect(["Known", "Unknown"]).toContain(entry.knownRansomwareCampaignUse);
    }
    const bare = feed.vulnerabilities.filter((e) => Object.keys(e).every((k) => REQUIRED.includes(k)));
    expect(bare.map((e) => e.cveID)).toEqual(["CVE-2021-27104", "CVE-2022-22965"]);
    const unknown = feed.vulnerabilities.filter((e) => Object.keys(e).some((k) => !KNOWN.has(k)));
    expect(unknown.map((e) => e.cveID)).toEqual(["CVE-2024-3400"]);
    expect(kev.feedCalls).toBe(1);
    expect(kev.requests[0]).toMatchObject({ method: "GET", path: "/feed.json", status: 200 });
  });

  it("should answer a conditional GET with 304 and no body until the catalogue changes", async () => {
    const first = await fetch(kev.feedUrl);
    await first.arrayBuffer();
    const etag = first.headers.get("etag");
    const lastModified = first.headers.get("last-modified");
    expect(etag).toBe(kev.etag);
    expect(lastModified).toBe(kev.lastModified);
    expect(new Date(lastModified ?? "").toUTCString()).toBe(lastModified);

    const byTag = await fetch(kev.feedUrl, { headers: { "if-none-match": etag ?? "" } });
    expect(byTag.status).toBe(304);
    expect(await byTag.text()).toBe("");
    expect(byTag.headers.get("etag")).toBe(etag);
    const weak = await fetch(kev.feedUrl, { headers: { "if-none-match": `"other", W/${etag}` } });
    expect(weak.status).toBe(304);
    const byDate = await fetch(kev.feedUrl, { headers: { "if-modified-since": lastModified ?? "" } });
    expect(byDate.status).toBe(304);
    // If-None-Match decides when both are sent.
    const mismatch = await fetch(kev.feedUrl, {
      headers: { "if-none-match": '"stale"', "if-modified-since": lastModified ?? "" },
    });
    expect(mismatch.status).toBe(200);
    await mismatch.arrayBuffer();
    expect(kev.notModified).toBe(3);

    kev.setEntries([kevEntry("CVE-2024-21762")], "2025.06.13");
    expect(kev.etag).not.toBe(etag);
    expect(Date.parse(kev.lastModified)).toBeGreaterThan(Date.parse(lastModified ?? ""));
    const conditions: Record<string, string>[] = [
      { "if-none-match": etag ?? "" },
      { "if-modified-since": lastModified ?? "" },
    ];
    for (const headers of conditions) {
      const changed = await fetch(kev.feedUrl, { headers });
      expect(changed.status).toBe(200);
      expect(await changed.json()).toMatchObject({
        catalogVersion: "2025.06.13",
        count: 1,
        vulnerabilities: [{ cveID: "CVE-2024-21762" }],
      });
    }
  });

  it("should build realistic entries that overrides can strip of optional fields", () => {
    const full = kevEntry("CVE-2024-21762");
    expect(full).toMatchObject({
      cveID: "CVE-2024-21762",
      dateAdded: expect.stringMatching(/^\d{4}-\d\d-\d\d$/),
      knownRansomwareCampaignUse: "Unknown",
      notes: expect.stringContaining("CVE-2024-21762"),
    });
    expect(kevEntry("CVE-2024-21762")).toEqual(full); // deterministic
    const bare = JSON.parse(
      JSON.stringify(kevEntry("CVE-2024-21762", { notes: undefined, cwes: undefined })),
    );
    expect(Object.keys(bare)).not.toContain("notes");
    expect(Object.keys(bare)).not.toContain("cwes");
  });

  it("should answer other paths with CISA's HTML 404, counted apart from the feed", async () => {
    const res = await fetch(`${kev.url}/sites/default/files/feeds/other.json`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(kev.feedCalls).toBe(0);
  });
});
