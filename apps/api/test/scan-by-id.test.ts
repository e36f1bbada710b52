import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getJson, startTestApi, type TestApi, uploadReport } from "./helpers.js";

// GET /api/scans/{scan_id} sits outside /api/container/scans/, where every path segment is an
// image name: no image name, however it is spelt, reaches it, and no id is read as an image.

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});

afterAll(async () => {
  await api?.close();
});

const report = (name?: string) =>
  JSON.stringify({
    SchemaVersion: 2,
    ...(name === undefined ? {} : { ArtifactName: name }),
    Results: [
      {
        Target: "t",
        Class: "os-pkgs",
        Type: "alpine",
        Vulnerabilities: [
          { VulnerabilityID: "CVE-2024-1", PkgName: "musl", InstalledVersion: "1", Severity: "LOW" },
        ],
      },
    ],
  });

async function upload(body: string, imageName?: string) {
  const answer = await uploadReport(api.url, body, imageName === undefined ? {} : { imageName });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body.scan as { id: number; image_name: string | null };
}

describe("GET /api/scans/{scan_id}", () => {
  it("should answer a scan without an image name, which no image route can find", async () => {
    const scan = await upload("[]");
    expect(scan.image_name).toBeNull();
    const answer = await getJson(`${api.url}/api/scans/${scan.id}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(scan);
  });

  it("should answer the same scan as the image route does", async () => {
    const scan = await upload(report("ghcr.io/org/by-id-check:1.0"));
    const byId = await getJson(`${api.url}/api/scans/${scan.id}`);
    const byName = await getJson(
      `${api.url}/api/container/scans/${encodeURIComponent("ghcr.io/org/by-id-check:1.0")}`,
    );
    expect(byId).toEqual(byName);
    // Leading zeros are the same number, as in the findings route.
    expect((await getJson(`${api.url}/api/scans/000${scan.id}`)).body).toEqual(byId.body);
  });

  it("should answer 404 for an id no scan has", async () => {
    const answer = await getJson(`${api.url}/api/scans/987654321`);
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ error: "not_found", message: "no scan with id 987654321" });
  });

  it.each([
    "ghcr.io%2Forg%2Fapp%3A1.0",
    "alpine",
    "0",
    "-1",
    "1e3",
    "0x10",
    "1.0",
    "%201",
    "99999999999999999",
    "9007199254740993",
  ])("should refuse %s, which is not a scan id, with 400", async (id) => {
    const answer = await getJson(`${api.url}/api/scans/${id}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe("invalid_request");
  });

  it("should leave image names that look like ids or like this route to the image routes", async () => {
    const numeric = await upload(report(), "1");
    const routeLike = await upload(report(), "api/scans/1");
    const byIdLike = await upload(report(), "by-id");
    // `/api/container/scans/1` is still the image named "1", as before.
    expect((await getJson(`${api.url}/api/container/scans/1`)).body.id).toBe(numeric.id);
    expect(
      (await getJson(`${api.url}/api/container/scans/${encodeURIComponent("api/scans/1")}`)).body.id,
    ).toBe(routeLike.id);
    expect((await getJson(`${api.url}/api/container/scans/by-id`)).body.id).toBe(byIdLike.id);
    expect((await getJson(`${api.url}/api/container/scans/by-id/findings`)).body.scan_id).toBe(byIdLike.id);
    // And the id route reads ids only: scan 1 is whichever scan got id 1.
    const first = await getJson(`${api.url}/api/scans/1`);
    expect(first.status).toBe(200);
    expect(first.body.id).toBe(1);
    // A percent-encoded slash never makes a path of the id route.
    expect((await getJson(`${api.url}/api/scans%2F1`)).status).toBe(404);
  });
});
