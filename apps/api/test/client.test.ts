import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { createClient, VulntriageApiError } from "@vulntriage/client";
import { readTrivyFixture } from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestKey, startTestApi, type TestApi } from "./helpers.js";

// @vulntriage/client against the real API: keys required, so every call shows the token is sent.

let api: TestApi;
let token: string;
let directory: string;

beforeAll(async () => {
  api = await startTestApi({ access: { authMode: "required" }, authCacheMs: 0 });
  token = await createTestKey(api.database, "client-test", ["scans:write", "read"]);
  directory = mkdtempSync(join(tmpdir(), "vulntriage-client-"));
});

afterAll(async () => {
  await api?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

const FIXTURE = "defectdojo/misconfigurations_and_secrets.json";

describe("@vulntriage/client", () => {
  it("should upload a file path gzip-compressed, with the token, and answer the typed 201", async () => {
    const seen: { encoding: string | null; type: string | null; auth: string | null; gzip: boolean }[] = [];
    const client = createClient({
      baseUrl: api.url,
      token,
      fetch: async (request) => {
        const body = Buffer.from(await request.clone().arrayBuffer());
        seen.push({
          encoding: request.headers.get("content-encoding"),
          type: request.headers.get("content-type"),
          auth: request.headers.get("authorization"),
          gzip: body.length > 0 && gunzipSync(body).equals(readTrivyFixture(FIXTURE)),
        });
        return fetch(request);
      },
    });
    const path = join(directory, "report.json");
    writeFileSync(path, readTrivyFixture(FIXTURE));
    const answer = await client.uploadReport(path, { imageName: "client/path:1" });
    expect(seen).toEqual([
      { encoding: "gzip", type: "application/json", auth: `Bearer ${token}`, gzip: true },
    ]);
    expect(answer.duplicate).toBe(false);
    if (answer.duplicate) throw new Error("unreachable");
    expect(answer.findings_ingested).toBe(2);
    expect(answer.skipped).toEqual({ misconfigurations: 1, secrets: 2, licenses: 0 });
    expect(answer.scan.image_name).toBe("client/path:1");
  });

  it("should upload a Buffer and a stream, and answer the duplicate's 200", async () => {
    const client = createClient({ baseUrl: api.url, token });
    const bytes = readTrivyFixture("trivy/main/alpine-310.json.golden");
    const created = await client.uploadReport(bytes);
    expect(created.duplicate).toBe(false);
    const again = await client.uploadReport(Readable.from([bytes.subarray(0, 100), bytes.subarray(100)]));
    expect(again).toEqual({ duplicate: true, scan: created.scan, skipped: created.skipped });
  });

  it("should throw a typed error carrying the status and the server's error body", async () => {
    const client = createClient({ baseUrl: api.url, token });
    const refused = await client
      .uploadReport(Buffer.from('{"ClusterName":"k"}'))
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(VulntriageApiError);
    expect(refused).toMatchObject({ status: 422, body: { error: "unsupported_report" } });
    expect((refused as VulntriageApiError).body.message).toMatch(/trivy k8s/);

    const anonymous = createClient({ baseUrl: api.url });
    const unauthorized = await anonymous.uploadReport(Buffer.from("[]")).catch((error: unknown) => error);
    expect(unauthorized).toMatchObject({ status: 401, body: { error: "unauthorized" } });
  });

  it("should read through the typed client with defaults left out", async () => {
    const client = createClient({ baseUrl: api.url, token });
    const created = await client.uploadReport(Buffer.from("[]"), { imageName: "client/empty" });
    const scans = await client.GET("/api/container/scans");
    expect(scans.response.status).toBe(200);
    expect(scans.data?.limit).toBe(50);
    expect(scans.data?.items.map((s) => s.id)).toContain(created.scan.id);
    const byId = await client.GET("/api/scans/{scan_id}", {
      params: { path: { scan_id: created.scan.id } },
    });
    expect(byId.data).toEqual(created.scan);
    const missing = await client.GET("/api/scans/{scan_id}", { params: { path: { scan_id: 999999 } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.error).toBe("not_found");
    const findings = await client.GET("/api/container/scans/{identifier}/findings", {
      params: {
        path: { identifier: "client/path:1" },
        query: { severity: "CRITICAL,HIGH,MEDIUM,LOW,UNKNOWN" },
      },
    });
    expect(
      findings.data?.items.every(
        (f) => f.llm_analysis_status === null || typeof f.llm_analysis_status === "string",
      ),
    ).toBe(true);
  });
});
