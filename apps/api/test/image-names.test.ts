import { countRows, readTrivyFixture } from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getJson, startTestApi, type TestApi, uploadReport } from "./helpers.js";

// Report files and API answers are untyped JSON here: the assertions are what check their shape.
type Json = any;

// A small, real report: four findings in one OS result.
const SMALL_FIXTURE = "trivy/main/alpine-310.json.golden";
const smallReport = readTrivyFixture(SMALL_FIXTURE);
const smallFindingCount = JSON.parse(smallReport.toString("utf8")).Results[0].Vulnerabilities.length;

const digest = "sha256:9d48c3bd43c520dc2784e868a780e976b207cbf493eaff8c6596eb871cbd9609";
const longName = `registry.example.com/${"team-".repeat(44)}app:${"v".repeat(5)}`.slice(0, 250);

const trickyNames: { label: string; name: string }[] = [
  { label: "registry with a port", name: "localhost:5000/team/app:dev" },
  { label: "tag and digest", name: `ghcr.io/org/app:1.0@${digest}` },
  { label: "port 443 and a deep path", name: "registry.example.com:443/a/b/c:tag" },
  { label: "a space", name: "my app:latest" },
  { label: "accented Latin", name: "équipe/größe:1.0" },
  { label: "CJK", name: "团队/应用:最新" },
  { label: "an emoji", name: "whale/🐳-app:🚀" },
  { label: "%, ? and #", name: "odd/100%-app?x=1&y=2#frag:%2F" },
  { label: "250 characters", name: longName },
  { label: "a name ending in /findings", name: "team/app/findings" },
  { label: "a name that looks like a number path", name: "12345/findings" },
];

const enc = encodeURIComponent;

/** Deterministic, incompressible CJK text: what a long non-ASCII name looks like to PostgreSQL. */
function cjkName(length: number): string {
  let seed = 42;
  let out = "";
  for (let i = 0; i < length; i++) {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    const random = ((t ^ (t >>> 14)) >>> 0) % 0x5000;
    out += String.fromCodePoint(0x4e00 + random);
  }
  return out;
}

describe("image names through the by-name endpoints", () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  it("should build a 250-character name", () => {
    expect(longName).toHaveLength(250);
  });

  it.each(trickyNames)("should round-trip an image name with $label", async ({ name }) => {
    const upload = await uploadReport(api.url, smallReport, { imageName: name });
    expect(upload.status, JSON.stringify(upload.body)).toBe(201);
    const scan = upload.body.scan;
    expect(scan.image_name).toBe(name);
    expect(scan.finding_count).toBe(smallFindingCount);

    const byName = await getJson(`${api.url}/api/container/scans/${enc(name)}`);
    expect(byName.status, JSON.stringify(byName.body)).toBe(200);
    expect(byName.body.image_name).toBe(name);
    expect(byName.body.id).toBe(scan.id);
    expect(byName.body.report_hash).toBe(scan.report_hash);

    const findings = await getJson(`${api.url}/api/container/scans/${enc(name)}/findings`);
    expect(findings.status, JSON.stringify(findings.body)).toBe(200);
    expect(findings.body.scan_id).toBe(scan.id);
    expect(findings.body.total).toBe(scan.finding_count);
    expect(findings.body.items).toHaveLength(scan.finding_count);
    for (const item of findings.body.items) expect(item.scan_id).toBe(scan.id);
  });

  it.each([
    { label: "1024 ASCII characters", name: `${"registry.example.com/".padEnd(1023, "a/")}z` },
    { label: "666 CJK characters (1998 bytes)", name: cjkName(666) },
  ])("should round-trip the longest image name the upload accepts: $label", async ({ name }) => {
    expect(name.length === 1024 || Buffer.byteLength(name) <= 2000).toBe(true);
    const upload = await uploadReport(api.url, smallReport, { imageName: name });
    expect(upload.status, JSON.stringify(upload.body).slice(0, 300)).toBe(201);
    expect(upload.body.scan.image_name).toBe(name);

    const byName = await getJson(`${api.url}/api/container/scans/${enc(name)}`);
    expect(byName.status, JSON.stringify(byName.body).slice(0, 300)).toBe(200);
    expect(byName.body.id).toBe(upload.body.scan.id);

    const findings = await getJson(`${api.url}/api/container/scans/${enc(name)}/findings`);
    expect(findings.status, JSON.stringify(findings.body).slice(0, 300)).toBe(200);
    expect(findings.body.scan_id).toBe(upload.body.scan.id);
    expect(findings.body.total).toBe(smallFindingCount);
  });

  it("should generate a CJK name PostgreSQL cannot compress away", () => {
    expect(new Set(cjkName(1024)).size).toBeGreaterThan(900);
    expect(Buffer.byteLength(cjkName(1024))).toBe(3072);
  });

  it("should refuse names over 2000 bytes of UTF-8 clearly, as a parameter and as ArtifactName", async () => {
    const name = cjkName(1024);
    const before = await countRows(api.database);
    const asParameter = await uploadReport(api.url, smallReport, { imageName: name });
    expect(asParameter.status).toBe(400);
    expect(asParameter.body).toEqual({
      error: "invalid_request",
      message: "image_name is longer than 2000 bytes of UTF-8",
    });

    const report = JSON.parse(smallReport.toString("utf8"));
    report.ArtifactName = name;
    const asArtifactName = await uploadReport(api.url, JSON.stringify(report));
    expect(asArtifactName.status).toBe(422);
    expect(asArtifactName.body).toEqual({
      error: "invalid_report",
      message: "ArtifactName is longer than 2000 bytes of UTF-8",
    });
    expect(await countRows(api.database)).toEqual(before);

    const byName = await getJson(`${api.url}/api/container/scans/${enc(name)}`);
    expect(byName.status).toBe(400);
  });

  it("should refuse an image name one character over the limit with 400", async () => {
    const answer = await uploadReport(api.url, smallReport, { imageName: "x".repeat(1025) });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe("invalid_request");
    expect(answer.body.message).toMatch(/image_name/);
  });

  it("should keep names that differ only by the trailing /findings apart", async () => {
    const base = "team/app";
    const upload = await uploadReport(api.url, smallReport, { imageName: base });
    expect(upload.status).toBe(201);
    const withSuffix = await getJson(`${api.url}/api/container/scans/${enc("team/app/findings")}`);
    const plain = await getJson(`${api.url}/api/container/scans/${enc(base)}`);
    expect(plain.status).toBe(200);
    expect(withSuffix.status).toBe(200);
    expect(plain.body.image_name).toBe(base);
    expect(withSuffix.body.image_name).toBe("team/app/findings");
    expect(plain.body.id).not.toBe(withSuffix.body.id);
  });

  it("should answer 404 JSON for an unknown image name", async () => {
    const name = "ghcr.io/nobody/never-uploaded:1.0";
    for (const path of [`/api/container/scans/${enc(name)}`, `/api/container/scans/${enc(name)}/findings`]) {
      const answer = await getJson(`${api.url}${path}`);
      expect(answer.status, path).toBe(404);
      expect(answer.body.error).toBe("not_found");
      expect(answer.body.message).toContain(name);
    }
  });

  it.each(["a%00b", "a%00b/findings", "%00"])(
    "should answer a name with a NUL character (%s) with a clear 4xx, not a 500",
    async (path) => {
      const answer = await getJson(`${api.url}/api/container/scans/${path}`);
      expect([400, 404], JSON.stringify(answer.body)).toContain(answer.status);
      expect(Object.keys(answer.body).sort()).toEqual(["error", "message"]);
      expect(["invalid_request", "not_found"]).toContain(answer.body.error);
    },
  );

  it.each(["%E0%A4%A", "%FF", "%ED%A0%80/findings"])(
    "should answer a malformed percent-encoding (%s) with 400 and the usual {error, message} body",
    async (path) => {
      const answer = await getJson(`${api.url}/api/container/scans/${path}`);
      expect(answer.status).toBe(400);
      expect(Object.keys(answer.body).sort()).toEqual(["error", "message"]);
      expect(answer.body.error).toMatch(/^[a-z_]+$/);
      expect(answer.body.message).toMatch(/url|encod/i);
    },
  );

  it("should return the latest scan when the same image is uploaded twice with different content", async () => {
    const name = "ghcr.io/org/rebuilt:latest";
    const first = await uploadReport(api.url, smallReport, { imageName: name });
    expect(first.status).toBe(201);

    const changed = JSON.parse(smallReport.toString("utf8"));
    changed.Results[0].Vulnerabilities[0].FixedVersion = "9.9.9-r9";
    const second = await uploadReport(api.url, JSON.stringify(changed, null, 2), { imageName: name });
    expect(second.status, JSON.stringify(second.body)).toBe(201);
    expect(second.body.duplicate).toBe(false);
    expect(second.body.scan.id).not.toBe(first.body.scan.id);

    const byName = await getJson(`${api.url}/api/container/scans/${enc(name)}`);
    expect(byName.status).toBe(200);
    expect(byName.body.id).toBe(second.body.scan.id);

    const findings = await getJson(`${api.url}/api/container/scans/${enc(name)}/findings`);
    expect(findings.status).toBe(200);
    expect(findings.body.scan_id).toBe(second.body.scan.id);
    expect(findings.body.items.map((f: Json) => f.fixed_version)).toContain("9.9.9-r9");

    // The older scan is still there by id.
    const older = await getJson(`${api.url}/api/container/scans/${first.body.scan.id}/findings`);
    expect(older.status).toBe(200);
    expect(older.body.scan_id).toBe(first.body.scan.id);
    expect(older.body.items.map((f: Json) => f.fixed_version)).not.toContain("9.9.9-r9");
  });

  it("should file a scan under ArtifactName when no image_name is given, and let image_name override it", async () => {
    const fixture = readTrivyFixture("trivy/v0.50.0/alpine-310-registry.json.golden");
    const artifactName = JSON.parse(fixture.toString("utf8")).ArtifactName as string;
    expect(artifactName).toBeTruthy();

    const plain = await uploadReport(api.url, fixture);
    expect(plain.status, JSON.stringify(plain.body)).toBe(201);
    expect(plain.body.scan.image_name).toBe(artifactName);
    expect(plain.body.scan.artifact_name).toBe(artifactName);

    const override = "registry.internal:5000/mirror/alpine:3.10-pinned";
    const overridden = await uploadReport(api.url, fixture, { imageName: override });
    expect(overridden.status, JSON.stringify(overridden.body)).toBe(201);
    expect(overridden.body.scan.id).not.toBe(plain.body.scan.id);
    expect(overridden.body.scan.image_name).toBe(override);
    expect(overridden.body.scan.artifact_name).toBe(artifactName);

    const byArtifact = await getJson(`${api.url}/api/container/scans/${enc(artifactName)}`);
    expect(byArtifact.status).toBe(200);
    expect(byArtifact.body.id).toBe(plain.body.scan.id);

    const byOverride = await getJson(`${api.url}/api/container/scans/${enc(override)}`);
    expect(byOverride.status).toBe(200);
    expect(byOverride.body.id).toBe(overridden.body.scan.id);
  });

  it("should derive the image name of a legacy report from its OS target", async () => {
    const fixture = readTrivyFixture("trivy/v0.19.2/alpine-310.json.golden");
    const results = JSON.parse(fixture.toString("utf8"));
    expect(Array.isArray(results)).toBe(true);
    const target = results[0].Target as string;
    const match = /^(.*) \((alpine) ([^)]+)\)$/.exec(target);
    expect(match).not.toBeNull();
    const [, expectedName, family, release] = match as RegExpExecArray;

    const upload = await uploadReport(api.url, fixture);
    expect(upload.status, JSON.stringify(upload.body)).toBe(201);
    expect(upload.body.scan.image_name).toBe(expectedName);
    expect(upload.body.scan.os_family).toBe(family);
    expect(upload.body.scan.os_name).toBe(release);
    expect(upload.body.scan.report_format).toBe("legacy");

    const byName = await getJson(`${api.url}/api/container/scans/${enc(expectedName as string)}`);
    expect(byName.status).toBe(200);
    expect(byName.body.id).toBe(upload.body.scan.id);

    const findings = await getJson(`${api.url}/api/container/scans/${enc(expectedName as string)}/findings`);
    expect(findings.status).toBe(200);
    expect(findings.body.scan_id).toBe(upload.body.scan.id);
    expect(findings.body.total).toBe(upload.body.scan.finding_count);
  });

  it("should let image_name name a legacy report that has no OS target", async () => {
    const fixture = readTrivyFixture("trivy/v0.19.2/nodejs.json.golden");
    const name = "legacy/nodejs-app:1";
    const upload = await uploadReport(api.url, fixture, { imageName: name });
    expect(upload.status, JSON.stringify(upload.body)).toBe(201);
    expect(upload.body.scan.image_name).toBe(name);
    const byName = await getJson(`${api.url}/api/container/scans/${enc(name)}`);
    expect(byName.status).toBe(200);
    expect(byName.body.id).toBe(upload.body.scan.id);
  });
});
