import { countRows, readTrivyFixture, seededRandom } from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getJson, startTestApi, type TestApi, uploadReport } from "./helpers.js";

const report = JSON.parse(readTrivyFixture("trivy/main/alpine-310.json.golden").toString("utf8"));
const enc = encodeURIComponent;

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

// Every C0 control, DEL, every C1 control and the line separators; then the bidirectional
// embeddings, overrides, isolates and marks, and invisible characters that hide what a name says.
const CONTROLS = [...range(0x00, 0x1f), 0x7f, ...range(0x80, 0x9f), 0x2028, 0x2029];
const INVISIBLE = [
  ...range(0x202a, 0x202e),
  ...range(0x2066, 0x2069),
  0x200e,
  0x200f,
  0x061c,
  0x200b,
  0xfeff,
];

const BASES = [
  "ghcr.io/org/app:1.0",
  "registry.example.com:5000/team/api@sha256:abc",
  "équipe/größe:1",
  "团队/应用:最新",
];

/** A valid name with one forbidden character put somewhere in it. */
function hostileNames(
  codePoints: number[],
  seed: number,
): { label: string; name: string; message: RegExp }[] {
  const next = seededRandom(seed);
  return codePoints.map((codePoint) => {
    const base = BASES[Math.floor(next() * BASES.length)] as string;
    const at = Math.floor(next() * (base.length + 1));
    const name = `${base.slice(0, at)}${String.fromCodePoint(codePoint)}${base.slice(at)}`;
    const hex = codePoint.toString(16).toUpperCase().padStart(4, "0");
    const message = CONTROLS.includes(codePoint) ? /control characters/ : /invisible formatting characters/;
    return { label: `U+${hex} at ${at} of ${JSON.stringify(base)}`, name, message };
  });
}

const cases = [...hostileNames(CONTROLS, 1), ...hostileNames(INVISIBLE, 2)];

describe("image names with control, bidirectional and invisible characters", () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  it("should cover all 67 C0, DEL, C1 and separator code points and 14 invisible ones", () => {
    expect(CONTROLS).toHaveLength(67);
    expect(INVISIBLE).toHaveLength(14);
  });

  it.each(cases)("should refuse $label everywhere an image name comes in", async ({ name, message }) => {
    const before = await countRows(api.database);

    const asParameter = await uploadReport(api.url, JSON.stringify(report), { imageName: name });
    expect(asParameter.status, JSON.stringify(asParameter.body)).toBe(400);
    expect(asParameter.body.error).toBe("invalid_request");
    expect(asParameter.body.message).toMatch(/^image_name /);
    expect(asParameter.body.message).toMatch(message);

    const asArtifactName = await uploadReport(api.url, JSON.stringify({ ...report, ArtifactName: name }));
    expect(asArtifactName.status, JSON.stringify(asArtifactName.body)).toBe(422);
    expect(asArtifactName.body.error).toBe("invalid_report");
    expect(asArtifactName.body.message).toMatch(/^ArtifactName /);
    expect(asArtifactName.body.message).toMatch(message);

    for (const path of [`/api/container/scans/${enc(name)}`, `/api/container/scans/${enc(name)}/findings`]) {
      const read = await getJson(`${api.url}${path}`);
      expect(read.status, path).toBe(400);
      expect(read.body.error).toBe("invalid_request");
    }
    expect(await countRows(api.database)).toEqual(before);
  });

  it.each([
    ["an emoji sequence joined by U+200D", "whale/👩‍💻-app:1"],
    ["Persian with a zero-width non-joiner", "تیم/می‌خواهم:1"],
  ])("should still accept %s", async (_label, name) => {
    const upload = await uploadReport(api.url, JSON.stringify(report), { imageName: name });
    expect(upload.status, JSON.stringify(upload.body)).toBe(201);
    const read = await getJson(`${api.url}/api/container/scans/${enc(name)}`);
    expect(read.body.id).toBe(upload.body.scan.id);
  });
});
