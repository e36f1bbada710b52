import { gzipSync } from "node:zlib";
import { countRows, readTrivyFixture } from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getJson, startTestApi, type TestApi } from "./helpers.js";

// Report files and API answers are untyped JSON here: the assertions are what check their shape.
type Json = any;

// A small, real SchemaVersion 2 report (one OS result, four vulnerabilities) that each case breaks
// in one place.
const BASE_FIXTURE = "trivy/main/alpine-310.json.golden";
const SMALL_LIMIT = 1024 * 1024;

function baseReport(): Json {
  return JSON.parse(readTrivyFixture(BASE_FIXTURE).toString("utf8"));
}

function mutated(change: (report: Json) => void): string {
  const report = baseReport();
  change(report);
  return JSON.stringify(report);
}

function firstVuln(report: Json): Json {
  return report.Results[0].Vulnerabilities[0];
}

type Body = RequestInit["body"];

type Answer = { status: number; text: string; body: Json; headers: Headers };

async function post(
  url: string,
  body: Body | undefined,
  options: { query?: string; headers?: Record<string, string>; duplex?: boolean } = {},
): Promise<Answer> {
  const init: RequestInit & { duplex?: "half" } = {
    method: "POST",
    headers: options.headers ?? { "content-type": "application/json" },
  };
  if (body !== undefined) init.body = body;
  if (options.duplex) init.duplex = "half";
  const response = await fetch(`${url}/api/container/scans${options.query ?? ""}`, init);
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // left as text: the assertions that follow show what came back
  }
  return { status: response.status, text, body: parsed, headers: response.headers };
}

/** A body sent with Transfer-Encoding: chunked, so the server cannot refuse it by Content-Length. */
function chunkedStream(totalBytes: number, chunkBytes = 64 * 1024): ReadableStream<Uint8Array> {
  const head = Buffer.from('{"SchemaVersion":2,"ArtifactName":"chunked","Results":[],"Pad":"');
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === 0) {
        controller.enqueue(head);
        sent += head.length;
        return;
      }
      if (sent >= totalBytes) {
        controller.enqueue(Buffer.from('"}'));
        controller.close();
        return;
      }
      const size = Math.min(chunkBytes, totalBytes - sent);
      controller.enqueue(Buffer.alloc(size, "0"));
      sent += size;
    },
  });
}

// Whatever went wrong, a client never sees a stack frame, SQL or a path into the server's modules.
function expectNoInternals(text: string): void {
  expect(text).not.toMatch(/\bat (?:async )?[\w$.<>[\] ]*\(?(?:\/|node:|file:)/);
  expect(text).not.toMatch(/\n\s+at /);
  expect(text).not.toMatch(/\bSELECT\b/i);
  expect(text).not.toMatch(/\bINSERT\b/i);
  expect(text).not.toContain("node_modules");
}

type HostileCase = {
  name: string;
  body: () => Body | undefined;
  query?: string;
  headers?: Record<string, string>;
  duplex?: boolean;
  /** Sent to the API started with MAX_REPORT_BYTES = 1 MiB. */
  small?: boolean;
  status: number;
  error: string;
  message: RegExp;
};

const realReport = readTrivyFixture("securecodebox/main/juice-shop-v10.2.0.json");
const json = { "content-type": "application/json" };

const cases: HostileCase[] = [
  // 400: not JSON at all
  {
    name: "truncated JSON (a real report cut in half)",
    body: () => realReport.subarray(0, Math.floor(realReport.length / 2)),
    status: 400,
    error: "malformed_json",
    message: /not valid JSON/,
  },
  { name: "empty body", body: () => "", status: 400, error: "malformed_json", message: /empty/ },
  {
    name: "whitespace-only body",
    body: () => " \r\n\t \n",
    status: 400,
    error: "malformed_json",
    message: /empty/,
  },
  {
    name: "a byte-order mark and nothing else",
    body: () => "\uFEFF",
    status: 400,
    error: "malformed_json",
    message: /empty/,
  },
  {
    name: "invalid UTF-8 bytes",
    body: () =>
      Buffer.concat([
        Buffer.from('{"SchemaVersion":2,"ArtifactName":"'),
        Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
        Buffer.from('"}'),
      ]),
    status: 400,
    error: "malformed_json",
    message: /UTF-8/,
  },
  {
    name: "form-encoded text declared as JSON",
    body: () => "report=%7B%22SchemaVersion%22%3A2%7D",
    status: 400,
    error: "malformed_json",
    message: /not valid JSON/,
  },
  {
    name: "no body and no Content-Type (curl -X POST)",
    body: () => undefined,
    headers: {},
    status: 400,
    error: "malformed_json",
    message: /empty/,
  },

  // 422: JSON, but not a Trivy report
  {
    name: "a JSON string at top level",
    body: () => '"hello"',
    status: 422,
    error: "invalid_report",
    message: /got a string/,
  },
  {
    name: "a JSON number at top level",
    body: () => "42",
    status: 422,
    error: "invalid_report",
    message: /got a number/,
  },
  {
    name: "JSON true at top level",
    body: () => "true",
    status: 422,
    error: "invalid_report",
    message: /got a boolean/,
  },
  {
    name: "an empty object",
    body: () => "{}",
    status: 422,
    error: "invalid_report",
    message: /SchemaVersion is missing/,
  },
  {
    name: "SchemaVersion 3",
    body: () => mutated((r) => (r.SchemaVersion = 3)),
    status: 422,
    error: "invalid_report",
    message: /SchemaVersion 3 is not supported/,
  },
  {
    name: 'SchemaVersion "2" (a string)',
    body: () => mutated((r) => (r.SchemaVersion = "2")),
    status: 422,
    error: "invalid_report",
    message: /SchemaVersion "2" is not supported/,
  },
  {
    name: "Results as an object",
    body: () => mutated((r) => (r.Results = { 0: r.Results[0] })),
    status: 422,
    error: "invalid_report",
    message: /^Results must be an array/,
  },
  {
    name: "a result that is a string",
    body: () => mutated((r) => r.Results.push("not a result")),
    status: 422,
    error: "invalid_report",
    message: /^Results\[1\] must be an object/,
  },
  {
    name: "a legacy array holding a number",
    body: () => "[1]",
    status: 422,
    error: "invalid_report",
    message: /\[0\] must be an object/,
  },
  {
    name: "Vulnerabilities as a string",
    body: () => mutated((r) => (r.Results[0].Vulnerabilities = "CVE-2019-1549")),
    status: 422,
    error: "invalid_report",
    message: /^Results\[0\]\.Vulnerabilities must be an array/,
  },
  {
    name: "a vulnerability that is a number",
    body: () => mutated((r) => r.Results[0].Vulnerabilities.push(7)),
    status: 422,
    error: "invalid_report",
    message: /^Results\[0\]\.Vulnerabilities\[4\] must be an object/,
  },
  {
    name: "Severity 5 (a number)",
    body: () => mutated((r) => (firstVuln(r).Severity = 5)),
    status: 422,
    error: "invalid_report",
    message: /^Results\[0\]\.Vulnerabilities\[0\]\.Severity must be a string$/,
  },
  {
    name: 'Severity "SEVERE"',
    body: () => mutated((r) => (r.Results[0].Vulnerabilities[2].Severity = "SEVERE")),
    status: 422,
    error: "invalid_report",
    message:
      /^Results\[0\]\.Vulnerabilities\[2\]\.Severity must be one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN; got "SEVERE"/,
  },
  {
    name: "PkgName missing",
    body: () => mutated((r) => delete r.Results[0].Vulnerabilities[3].PkgName),
    status: 422,
    error: "invalid_report",
    message: /^Results\[0\]\.Vulnerabilities\[3\]\.PkgName is required/,
  },
  {
    name: "VulnerabilityID as a number",
    body: () => mutated((r) => (firstVuln(r).VulnerabilityID = 20191549)),
    status: 422,
    error: "invalid_report",
    message: /^Results\[0\]\.Vulnerabilities\[0\]\.VulnerabilityID must be a string/,
  },
  {
    name: "CVSS as a string",
    body: () => mutated((r) => (firstVuln(r).CVSS = "7.5")),
    status: 422,
    error: "invalid_report",
    message: /^Results\[0\]\.Vulnerabilities\[0\]\.CVSS must be an object/,
  },
  {
    name: "CweIDs with a number",
    body: () => mutated((r) => (firstVuln(r).CweIDs = ["CWE-330", 79])),
    status: 422,
    error: "invalid_report",
    message: /^Results\[0\]\.Vulnerabilities\[0\]\.CweIDs\[1\] must be a string/,
  },
  {
    name: 'CreatedAt "yesterday"',
    body: () => mutated((r) => (r.CreatedAt = "yesterday")),
    status: 422,
    error: "invalid_report",
    message: /CreatedAt must be an RFC 3339 timestamp/,
  },
  {
    name: "100,000 nested arrays inside Metadata",
    body: () =>
      mutated((r) => (r.Metadata.Deep = "@DEEP@")).replace(
        '"@DEEP@"',
        `${"[".repeat(100_000)}${"]".repeat(100_000)}`,
      ),
    status: 422,
    error: "invalid_report",
    message: /nested more than \d+ levels deep/,
  },
  {
    name: "100,000 nested objects inside a vulnerability",
    body: () =>
      mutated((r) => (firstVuln(r).Deep = "@DEEP@")).replace(
        '"@DEEP@"',
        `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`,
      ),
    status: 422,
    error: "invalid_report",
    message: /nested more than \d+ levels deep/,
  },
  {
    name: "a trivy k8s cluster report",
    body: () => '{"ClusterName":"x","Resources":[]}',
    status: 422,
    error: "unsupported_report",
    message: /trivy k8s/,
  },
  {
    name: "a SARIF report",
    body: () => '{"version":"2.1.0","runs":[]}',
    status: 422,
    error: "unsupported_report",
    message: /SARIF/,
  },
  {
    name: "a CycloneDX SBOM",
    body: () => '{"bomFormat":"CycloneDX","specVersion":"1.5","components":[]}',
    status: 422,
    error: "unsupported_report",
    message: /SBOM/,
  },

  // 415: wrong content type or encoding
  {
    name: "Content-Type text/plain",
    body: () => readTrivyFixture(BASE_FIXTURE),
    headers: { "content-type": "text/plain" },
    status: 415,
    error: "unsupported_media_type",
    message: /application\/json/,
  },
  {
    name: "Content-Type application/x-www-form-urlencoded (curl -d)",
    body: () => readTrivyFixture(BASE_FIXTURE),
    headers: { "content-type": "application/x-www-form-urlencoded" },
    status: 415,
    error: "unsupported_media_type",
    message: /application\/json/,
  },
  {
    name: "a report body with no Content-Type",
    body: () => readTrivyFixture(BASE_FIXTURE),
    headers: {},
    status: 415,
    error: "unsupported_media_type",
    message: /application\/json/,
  },
  {
    name: "Content-Encoding: br",
    body: () => readTrivyFixture(BASE_FIXTURE),
    headers: { ...json, "content-encoding": "br" },
    status: 415,
    error: "unsupported_media_type",
    message: /Content-Encoding br is not supported/,
  },

  // 400: a gzip body that does not inflate
  {
    name: "Content-Encoding: gzip on a body that is not gzip",
    body: () => readTrivyFixture(BASE_FIXTURE),
    headers: { ...json, "content-encoding": "gzip" },
    status: 400,
    error: "malformed_body",
    message: /gzip body could not be inflated/,
  },
  {
    name: "a gzip body cut short",
    body: () => {
      const gz = gzipSync(readTrivyFixture(BASE_FIXTURE));
      return gz.subarray(0, Math.floor(gz.length / 2));
    },
    headers: { ...json, "content-encoding": "gzip" },
    status: 400,
    error: "malformed_body",
    message: /gzip body could not be inflated/,
  },

  // 413: too large, before and after inflating
  {
    name: "a gzip bomb (80 MB of zeros in a JSON string, inflated past the 1 MiB limit)",
    body: () =>
      gzipSync(
        Buffer.concat([
          Buffer.from('{"SchemaVersion":2,"ArtifactName":"bomb","Results":[],"Pad":"'),
          Buffer.alloc(80 * 1024 * 1024, "0"),
          Buffer.from('"}'),
        ]),
      ),
    headers: { ...json, "content-encoding": "gzip" },
    small: true,
    status: 413,
    error: "payload_too_large",
    message: /larger than the 1048576 bytes/,
  },
  {
    name: "a body over the 1 MiB limit without gzip",
    body: () => {
      const report = baseReport();
      report.Pad = "0".repeat(SMALL_LIMIT);
      return JSON.stringify(report);
    },
    small: true,
    status: 413,
    error: "payload_too_large",
    message: /larger than the 1048576 bytes/,
  },
  {
    name: "a chunked body (no Content-Length) over the 1 MiB limit",
    body: () => chunkedStream(3 * SMALL_LIMIT),
    duplex: true,
    small: true,
    status: 413,
    error: "payload_too_large",
    message: /larger than the 1048576 bytes/,
  },

  // 400: bad parameters
  {
    name: "?image_name= empty",
    body: () => readTrivyFixture(BASE_FIXTURE),
    query: "?image_name=",
    status: 400,
    error: "invalid_request",
    message: /image_name/,
  },
  {
    name: "?image_name= only spaces",
    body: () => readTrivyFixture(BASE_FIXTURE),
    query: "?image_name=%20%20%20",
    status: 400,
    error: "invalid_request",
    message: /image_name must not be empty/,
  },
  {
    name: "an image_name with a NUL (%00)",
    body: () => readTrivyFixture(BASE_FIXTURE),
    query: "?image_name=team%2Fapp%00evil%3A1",
    status: 400,
    error: "invalid_request",
    message: /image_name must not contain control characters/,
  },
  {
    name: "an image_name with a newline (%0A)",
    body: () => readTrivyFixture(BASE_FIXTURE),
    query: "?image_name=team%2Fapp%0AX-Injected%3A1",
    status: 400,
    error: "invalid_request",
    message: /image_name must not contain control characters/,
  },
  {
    name: "an image_name of 2000 characters",
    body: () => readTrivyFixture(BASE_FIXTURE),
    query: `?image_name=${"a".repeat(2000)}`,
    status: 400,
    error: "invalid_request",
    message: /image_name/,
  },
];

describe("hostile and broken uploads to POST /api/container/scans", () => {
  let api: TestApi;
  let small: TestApi;

  beforeAll(async () => {
    [api, small] = await Promise.all([startTestApi(), startTestApi({ maxReportBytes: SMALL_LIMIT })]);
  });
  afterAll(async () => {
    await Promise.all([api?.close(), small?.close()]);
  });

  it("should have at least 18 hostile cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(18);
  });

  it.each(cases)("should refuse $name with $status $error and write nothing", async (c) => {
    const target = c.small ? small : api;
    const before = await countRows(target.database);

    const answer = await post(target.url, c.body(), {
      ...(c.query === undefined ? {} : { query: c.query }),
      ...(c.headers === undefined ? {} : { headers: c.headers }),
      ...(c.duplex ? { duplex: true } : {}),
    });

    expect(answer.status, answer.text.slice(0, 500)).toBe(c.status);
    expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
    expect(typeof answer.body, answer.text.slice(0, 500)).toBe("object");
    expect(Object.keys(answer.body).sort()).toEqual(["error", "message"]);
    expect(answer.body.error).toBe(c.error);
    expect(typeof answer.body.message).toBe("string");
    expect(answer.body.message).toMatch(c.message);
    expectNoInternals(answer.text);

    expect(await countRows(target.database)).toEqual(before);
    const health = await getJson(`${target.url}/health`);
    expect(health.status).toBe(200);
    expect(health.body.status).toBe("ok");
  });

  it("should accept a finding whose Title contains NUL, storing it with the NUL replaced", async () => {
    const before = await countRows(api.database);
    const report = baseReport();
    const vuln = firstVuln(report);
    vuln.Title = "openssl:\u0000 information disclosure";
    vuln.Description = "lone surrogate \ud800 here";
    const findingCount = report.Results[0].Vulnerabilities.length;

    const answer = await post(api.url, JSON.stringify(report), { query: "?image_name=nul%2Ftitle%3A1" });
    expect(answer.status, answer.text.slice(0, 500)).toBe(201);
    expect(answer.body.findings_ingested).toBe(findingCount);
    expectNoInternals(answer.text);

    const after = await countRows(api.database);
    expect(after).toEqual({
      scans: before.scans + 1,
      findings: before.findings + findingCount,
      reports: before.reports + 1,
    });

    const scanId = answer.body.scan.id;
    const list = await getJson(`${api.url}/api/container/scans/${scanId}/findings?limit=1000`);
    expect(list.status).toBe(200);
    const stored = list.body.items.find(
      (f: Json) => f.vulnerability_id === vuln.VulnerabilityID && f.pkg_name === vuln.PkgName,
    );
    expect(stored).toBeDefined();
    expect(stored.title).toBe("openssl:\uFFFD information disclosure");
    expect(stored.title).not.toContain("\u0000");

    const detail = await getJson(`${api.url}/api/container/findings/${stored.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.title).toBe("openssl:\uFFFD information disclosure");
    expect(detail.body.cve_data.Title).toBe("openssl:\uFFFD information disclosure");
    expect(detail.body.cve_data.Description).toBe("lone surrogate \uFFFD here");
    expect(detail.body.cve_data.VulnerabilityID).toBe(vuln.VulnerabilityID);

    expect((await getJson(`${api.url}/health`)).status).toBe(200);
  });

  it("should accept a genuine gzip-encoded report under the limit (the gzip path works at all)", async () => {
    const before = await countRows(small.database);
    const bytes = readTrivyFixture(BASE_FIXTURE);
    const report = JSON.parse(bytes.toString("utf8"));
    const answer = await post(small.url, gzipSync(bytes), {
      query: "?image_name=gzip%2Fcontrol%3A1",
      headers: { ...json, "content-encoding": "gzip" },
    });
    expect(answer.status, answer.text.slice(0, 500)).toBe(201);
    expect(answer.body.findings_ingested).toBe(report.Results[0].Vulnerabilities.length);
    const after = await countRows(small.database);
    expect(after.scans).toBe(before.scans + 1);
    expect(after.reports).toBe(before.reports + 1);
  });

  it("should answer a report just under the limit without gzip (the 413 is about size, not about padding)", async () => {
    const report = baseReport();
    const unpadded = Buffer.byteLength(JSON.stringify({ ...report, Pad: "" }));
    report.Pad = "0".repeat(SMALL_LIMIT - unpadded);
    const body = JSON.stringify(report);
    expect(Buffer.byteLength(body)).toBe(SMALL_LIMIT);
    const answer = await post(small.url, body, { query: "?image_name=padded%2Fexact%3A1" });
    expect(answer.status, answer.text.slice(0, 500)).toBe(201);
  });
});
