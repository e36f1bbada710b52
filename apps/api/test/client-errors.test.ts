import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./helpers.js";
import { openRaw, parseAnswer } from "./raw-http.js";

const SMALL_LIMIT = 1024 * 1024;

/** Sends raw bytes and reads everything the server answers until it closes (or a second passes). */
async function exchange(url: string, data: string | Buffer, waitMs = 5_000): Promise<string> {
  const connection = await openRaw(url);
  connection.send(data);
  await Promise.race([connection.closed, new Promise((resolve) => setTimeout(resolve, waitMs))]);
  connection.socket.destroy();
  return connection.received();
}

function expectOurErrorBody(text: string, status: number, error: string): { message: string } {
  const answer = parseAnswer(text);
  expect(answer.statusLine, text.slice(0, 300)).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
  expect(answer.headers["content-type"]).toMatch(/^application\/json/);
  const body = JSON.parse(answer.body);
  expect(Object.keys(body).sort()).toEqual(["error", "message"]);
  expect(body.error).toBe(error);
  expect(body.message.length).toBeGreaterThan(10);
  return body;
}

const malformed: { name: string; request: string; status: number; error: string }[] = [
  {
    name: "a request line that is not HTTP",
    request: "HELLO THERE\r\n\r\n",
    status: 400,
    error: "malformed_request",
  },
  {
    name: "an unknown method",
    request: "BREW /health HTTP/1.1\r\nHost: x\r\n\r\n",
    status: 400,
    error: "malformed_request",
  },
  {
    name: "a header line without a colon",
    request: "GET /health HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
    status: 400,
    error: "malformed_request",
  },
  {
    name: "a control character in a header value",
    request: "GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\u0001b\r\n\r\n",
    status: 400,
    error: "malformed_request",
  },
  {
    name: "a space inside the URL",
    request: "GET /he alth HTTP/1.1\r\nHost: x\r\n\r\n",
    status: 400,
    error: "malformed_request",
  },
  {
    name: "an HTTP version that does not exist",
    request: "GET /health HTTP/7.3\r\nHost: x\r\n\r\n",
    status: 400,
    error: "malformed_request",
  },
  {
    name: "a Content-Length that is not a number",
    request: "POST /api/container/scans HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n",
    status: 400,
    error: "malformed_request",
  },
  {
    name: "Content-Length and Transfer-Encoding together (request smuggling)",
    request:
      "POST /api/container/scans HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    status: 400,
    error: "malformed_request",
  },
  {
    name: "a broken chunked body",
    request:
      "POST /api/container/scans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    status: 400,
    error: "malformed_request",
  },
  {
    name: "HTTP/1.1 without a Host header",
    request: "GET /health HTTP/1.1\r\nConnection: close\r\n\r\n",
    status: 400,
    error: "invalid_request",
  },
  {
    name: "headers larger than the server accepts",
    request: `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20 * 1024)}\r\n\r\n`,
    status: 431,
    error: "headers_too_large",
  },
  {
    name: "an Expect header other than 100-continue",
    request: "GET /health HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n",
    status: 417,
    error: "expectation_failed",
  },
];

describe("errors Node's HTTP parser answers, in our error body", () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ maxReportBytes: SMALL_LIMIT });
  });
  afterAll(async () => {
    await api?.close();
  });

  it.each(malformed)("should answer $name with $status $error", async (c) => {
    const text = await exchange(api.url, c.request);
    expectOurErrorBody(text, c.status, c.error);
    expect((await fetch(`${api.url}/health`)).status).toBe(200);
  });

  it("should refuse Expect: 100-continue with a 200 MB Content-Length before sending 100 Continue", async () => {
    const text = await exchange(
      api.url,
      "POST /api/container/scans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
        `Content-Length: ${200 * 1024 * 1024}\r\nExpect: 100-continue\r\n\r\n`,
    );
    expect(text).not.toMatch(/100 Continue/i);
    const body = expectOurErrorBody(text, 413, "payload_too_large");
    expect(body.message).toMatch(/MAX_REPORT_BYTES/);
  });

  it("should answer 100 Continue to a body within the limit, then take the upload", async () => {
    const connection = await openRaw(api.url);
    const report = JSON.stringify({ SchemaVersion: 2, ArtifactName: "expect/continue:1", Results: [] });
    connection.send(
      "POST /api/container/scans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
        `Content-Length: ${report.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
    );
    await expect
      .poll(() => connection.received(), { timeout: 10_000 })
      .toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    connection.send(report);
    await connection.closed;
    const final = parseAnswer(connection.received().replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, ""));
    expect(final.statusLine).toBe("HTTP/1.1 201 Created");
    expect(JSON.parse(final.body).scan.image_name).toBe("expect/continue:1");
  });
});
