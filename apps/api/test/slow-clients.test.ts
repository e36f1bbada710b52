import { countRows } from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./helpers.js";
import { openRaw, parseAnswer, type RawConnection, trickle } from "./raw-http.js";

// Small limits, so each case takes seconds; the slack only absorbs a busy machine (the server
// checks its timeouts every quarter of the headers timeout).
const HEADERS_MS = 1_000;
const REQUEST_MS = 2_500;
const BODY_IDLE_MS = 1_500;
const KEEP_ALIVE_MS = 1_000;
const SLACK_MS = 8_000;

function expectJsonTimeout(connection: RawConnection, message: RegExp): void {
  const answer = parseAnswer(connection.received());
  expect(answer.statusLine).toBe("HTTP/1.1 408 Request Timeout");
  expect(answer.headers["content-type"]).toMatch(/^application\/json/);
  const body = JSON.parse(answer.body);
  expect(Object.keys(body).sort()).toEqual(["error", "message"]);
  expect(body.error).toBe("request_timeout");
  expect(body.message).toMatch(message);
}

describe("slow and idle clients", () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({
      http: {
        headersTimeoutMs: HEADERS_MS,
        requestTimeoutMs: REQUEST_MS,
        bodyIdleTimeoutMs: BODY_IDLE_MS,
        keepAliveTimeoutMs: KEEP_ALIVE_MS,
        maxConnections: 40,
      },
    });
  });
  afterAll(async () => {
    await api?.close();
  });

  it("should cut off a client sending its headers byte by byte, with 408 in our error body", async () => {
    const connection = await openRaw(api.url);
    void trickle(connection, `GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ${"a".repeat(500)}\r\n\r\n`, 50);
    const after = await connection.closed;
    expect(after).toBeGreaterThanOrEqual(HEADERS_MS * 0.9);
    expect(after).toBeLessThan(HEADERS_MS + SLACK_MS);
    expectJsonTimeout(connection, /did not arrive in time/);
  });

  it("should cut off a body that keeps arriving too slowly once the request timeout is over", async () => {
    const connection = await openRaw(api.url);
    const body = '{"SchemaVersion":2,"Results":[],"Pad":"'.padEnd(1_000, "0");
    connection.send(
      `POST /api/container/scans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    // A byte every 100 ms never looks idle, but the whole request would take 100 s.
    void trickle(connection, body, 100);
    const after = await connection.closed;
    expect(after).toBeGreaterThanOrEqual(REQUEST_MS * 0.9);
    expect(after).toBeLessThan(REQUEST_MS + SLACK_MS);
    expectJsonTimeout(connection, /did not arrive in time/);
    expect((await countRows(api.database)).scans).toBe(0);
  });

  it("should cut off a body that stops arriving, after the idle-body timeout", async () => {
    const connection = await openRaw(api.url);
    connection.send(
      "POST /api/container/scans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n" +
        '{"SchemaVersion":2,',
    );
    const after = await connection.closed;
    expect(after).toBeGreaterThanOrEqual(BODY_IDLE_MS * 0.9);
    expect(after).toBeLessThan(BODY_IDLE_MS + SLACK_MS);
    expectJsonTimeout(connection, /HTTP_BODY_IDLE_TIMEOUT_MS/);
  });

  it("should close sockets that never send a byte, after the headers timeout", async () => {
    const connections = await Promise.all(Array.from({ length: 20 }, () => openRaw(api.url)));
    const closedAfter = await Promise.all(connections.map((c) => c.closed));
    for (const after of closedAfter) {
      expect(after).toBeGreaterThanOrEqual(HEADERS_MS * 0.9);
      expect(after).toBeLessThan(HEADERS_MS + SLACK_MS);
    }
  });

  it("should close an idle keep-alive socket after the keep-alive timeout", async () => {
    const connection = await openRaw(api.url);
    connection.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    const after = await connection.closed;
    expect(parseAnswer(connection.received()).statusLine).toBe("HTTP/1.1 200 OK");
    expect(after).toBeGreaterThanOrEqual(KEEP_ALIVE_MS * 0.9);
    expect(after).toBeLessThan(KEEP_ALIVE_MS + SLACK_MS);
  });

  it("should refuse connections past HTTP_MAX_CONNECTIONS and serve again once they close", async () => {
    const held = await Promise.all(Array.from({ length: 40 }, () => openRaw(api.url)));
    const extra = await openRaw(api.url);
    const opened = Date.now();
    await extra.closed;
    // Refused at once, long before any timeout would have closed it.
    expect(Date.now() - opened).toBeLessThan(HEADERS_MS * 0.9);
    expect(extra.received()).toBe("");
    for (const connection of held) connection.socket.destroy();
    await Promise.all(held.map((c) => c.closed));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await fetch(`${api.url}/health`)).status).toBe(200);
  });
});
