import { gzipSync } from "node:zlib";
import { createTestDatabase, listTrivyFixtures, readTrivyFixture } from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiProcess } from "./api-process.js";
import { startTestApi, type TestApi, uploadReport } from "./helpers.js";

// What a report holds besides vulnerabilities is not stored; the upload's answer says how much.

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});

afterAll(async () => {
  await api?.close();
});

/** Counted independently of the parser: entries of each list across Results. */
function expectedSkipped(bytes: Buffer) {
  const doc = JSON.parse(bytes.toString("utf8").replace(/^\uFEFF/, ""));
  const results: unknown[] = Array.isArray(doc) ? doc : Array.isArray(doc?.Results) ? doc.Results : [];
  const count = (key: string) =>
    results.reduce<number>((sum, result) => {
      const list = (result as Record<string, unknown> | null)?.[key];
      return sum + (Array.isArray(list) ? list.length : 0);
    }, 0);
  return {
    misconfigurations: count("Misconfigurations"),
    secrets: count("Secrets"),
    licenses: count("Licenses"),
  };
}

const result = (extra: Record<string, unknown>) => ({ Target: "t", Class: "config", ...extra });
const report = (results: unknown[], name = "generated/skipped:1") =>
  JSON.stringify({ SchemaVersion: 2, ArtifactName: name, ArtifactType: "container_image", Results: results });

describe("skipped entries", () => {
  it.each([
    ["defectdojo/misconfigurations_and_secrets.json", { misconfigurations: 1, secrets: 2, licenses: 0 }],
    ["defectdojo/license_scheme.json", { misconfigurations: 0, secrets: 0, licenses: 19 }],
    ["defectdojo/issue_14136.json", { misconfigurations: 1, secrets: 0, licenses: 0 }],
    ["trivy/main/secrets.json.golden", { misconfigurations: 0, secrets: 2, licenses: 0 }],
    ["trivy/main/dockerfile-custom-policies.json.golden", { misconfigurations: 2, secrets: 0, licenses: 0 }],
    // A legacy (pre-0.20) array with a misconfiguration result.
    ["trivy/v0.19.2/dockerfile.json.golden", { misconfigurations: 1, secrets: 0, licenses: 0 }],
    ["securecodebox/main/juice-shop-v12.10.2.json", { misconfigurations: 0, secrets: 3, licenses: 0 }],
  ])("should count what %s holds besides vulnerabilities", async (name, skipped) => {
    const upload = await uploadReport(api.url, readTrivyFixture(name), { imageName: `skipped/${name}` });
    expect(upload.status, JSON.stringify(upload.body)).toBe(201);
    expect(upload.body.skipped).toEqual(skipped);
    expect(upload.body.findings_ingested).toBe(upload.body.scan.finding_count);
  });

  it("should answer the counts of every fixture as its Results hold them", async () => {
    for (const name of listTrivyFixtures()) {
      const bytes = readTrivyFixture(name);
      const upload = await uploadReport(api.url, bytes, { imageName: `every/${name}` });
      if (upload.status === 422) continue; // trivy k8s reports, refused as before
      expect(upload.status, name).toBe(201);
      expect(upload.body.skipped, name).toEqual(expectedSkipped(bytes));
    }
  });

  it("should count across results, and give nothing for missing, null or non-list entries", async () => {
    const generated = [
      result({ Misconfigurations: [{ ID: "DS001" }, { ID: "DS002" }], Secrets: [{ RuleID: "aws" }] }),
      result({ Misconfigurations: [{ ID: "DS003" }], Licenses: [{ Name: "GPL-3.0" }, { Name: "MIT" }] }),
      result({ Secrets: null, Licenses: "not a list", Misconfigurations: {} }),
      { Target: "secret shell", Class: "secret" },
      {
        Target: "alpine:3 (alpine 3.19)",
        Class: "os-pkgs",
        Type: "alpine",
        Vulnerabilities: [
          { VulnerabilityID: "CVE-2024-0001", PkgName: "musl", InstalledVersion: "1.2", Severity: "HIGH" },
        ],
        Secrets: Array.from({ length: 250 }, (_, i) => ({ RuleID: `rule-${i}` })),
      },
    ];
    const upload = await uploadReport(api.url, report(generated));
    expect(upload.status, JSON.stringify(upload.body)).toBe(201);
    expect(upload.body.findings_ingested).toBe(1);
    expect(upload.body.skipped).toEqual({ misconfigurations: 3, secrets: 251, licenses: 2 });

    const none = await uploadReport(api.url, report([], "generated/none:1"));
    expect(none.body.skipped).toEqual({ misconfigurations: 0, secrets: 0, licenses: 0 });
    const legacyNull = await uploadReport(api.url, "null", { imageName: "generated/legacy-null" });
    expect(legacyNull.status).toBe(201);
    expect(legacyNull.body.skipped).toEqual({ misconfigurations: 0, secrets: 0, licenses: 0 });
  });

  it("should answer the stored counts on a duplicate, byte-identical, reformatted or gzip", async () => {
    const text = report(
      [result({ Misconfigurations: [{ ID: "A" }], Secrets: [{ RuleID: "b" }, { RuleID: "c" }] })],
      "dup/skipped:1",
    );
    const first = await uploadReport(api.url, text);
    expect(first.status).toBe(201);
    const skipped = { misconfigurations: 1, secrets: 2, licenses: 0 };
    expect(first.body.skipped).toEqual(skipped);

    const again = await uploadReport(api.url, text);
    const reformatted = await uploadReport(api.url, JSON.stringify(JSON.parse(text), null, 4));
    const gzipped = await uploadReport(api.url, gzipSync(text), { headers: { "content-encoding": "gzip" } });
    for (const answer of [again, reformatted, gzipped]) {
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ duplicate: true, scan: first.body.scan, skipped });
    }
  });

  it("should answer null on a duplicate of a scan stored before the counts were kept", async () => {
    const text = report([result({ Secrets: [{ RuleID: "x" }] })], "dup/older:1");
    const first = await uploadReport(api.url, text);
    expect(first.status).toBe(201);
    // As the migration leaves the scans it finds.
    await api.database.pool.query(
      "update container_scans set skipped_misconfigurations = null, skipped_secrets = null, skipped_licenses = null where id = $1",
      [first.body.scan.id],
    );
    const again = await uploadReport(api.url, text);
    expect(again.status).toBe(200);
    expect(again.body.skipped).toBeNull();
  });
});

describe("Location", () => {
  it("should be sent with 201 only, never with a duplicate's 200", async () => {
    const text = report([], "location/check:1");
    const created = await uploadReport(api.url, text);
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`/api/container/scans/${created.body.scan.id}/findings`);
    const duplicate = await uploadReport(api.url, text);
    expect(duplicate.status).toBe(200);
    expect(duplicate.headers.get("location")).toBeNull();
    const reformatted = await uploadReport(api.url, ` ${text}\n`);
    expect(reformatted.status).toBe(200);
    expect(reformatted.headers.get("location")).toBeNull();
  });
});

describe("the compiled API", () => {
  it("should count on its parse threads as in process (run `npm run build` first)", async () => {
    const database = await createTestDatabase();
    const server = await startApiProcess(database.url);
    try {
      const name = "defectdojo/misconfigurations_and_secrets.json";
      const bytes = readTrivyFixture(name);
      const created = await uploadReport(server.url, bytes);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body.skipped).toEqual({ misconfigurations: 1, secrets: 2, licenses: 0 });
      const duplicate = await uploadReport(server.url, gzipSync(bytes), {
        headers: { "content-encoding": "gzip" },
      });
      expect(duplicate.status).toBe(200);
      expect(duplicate.body.skipped).toEqual(created.body.skipped);
      expect(duplicate.headers.get("location")).toBeNull();
    } finally {
      await server.stop();
      await database.drop();
    }
  });
});
