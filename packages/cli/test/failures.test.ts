import { once } from "node:events";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliStack, createKey, report, runCli, startCliStack } from "./helpers.js";

// Keys required (as in production), enrichment offline: auth, timeouts and transport faults.
let stack: CliStack;
let token: string;

beforeAll(async () => {
  stack = await startCliStack({ AUTH_MODE: "required" });
  token = await createKey(stack.database, "scans:write,read");
});

afterAll(async () => {
  await stack?.close();
});

const body = (image: string) =>
  report(image, [
    { id: "CVE-2026-3001", pkg: "auth-llm4", severity: "HIGH" },
    { id: "CVE-2026-3002", pkg: "auth-llm2", severity: "LOW" },
  ]);

describe("vulntriage against a server that says no", () => {
  it("should exit 3 with the server's 401 message without a token, and pass with one", async () => {
    const refused = await runCli(["upload", "-", "--fail-on", "high"], {
      env: { VULNTRIAGE_URL: stack.url },
      stdin: body("auth/app:1"),
    });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^error: the server answered 401 \(unauthorized\): .+/m);

    const fromEnv = await runCli(["upload", "-", "--wait", "--fail-on", "critical"], {
      env: { VULNTRIAGE_URL: stack.url, VULNTRIAGE_TOKEN: token },
      stdin: body("auth/app:1"),
    });
    expect(fromEnv.stderr).toMatch(/uploaded as scan \d+/);
    expect(fromEnv.code).toBe(0);
    const fromFlag = await runCli(["scans", "--url", stack.url, "--token", token, "-o", "json"]);
    expect(fromFlag.code).toBe(0);
    expect(JSON.parse(fromFlag.stdout).items[0].image_name).toBe("auth/app:1");
  });

  it("should exit 3 with a 403 when the key lacks the scope", async () => {
    const readOnly = await createKey(stack.database, "read");
    const result = await runCli(["upload", "-"], {
      env: { VULNTRIAGE_URL: stack.url, VULNTRIAGE_TOKEN: readOnly },
      stdin: body("auth/app:2"),
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/error: the server answered 403 \(forbidden\): .*scans:write/);
  });

  it("should give up at --timeout while analyses hang, saying what is still waiting", async () => {
    // The model holds every answer back for two minutes.
    stack.fake.setFault({ kind: "delay", ms: 120_000 });
    try {
      const started = Date.now();
      const result = await runCli(["upload", "-", "--wait", "--timeout", "4s", "--fail-on", "low"], {
        env: { VULNTRIAGE_URL: stack.url, VULNTRIAGE_TOKEN: token },
        // Questions nobody asked before: a cached answer would complete at once.
        stdin: report("hang/app:1", [
          { id: "CVE-2026-3101", pkg: "hang-one", severity: "HIGH" },
          { id: "CVE-2026-3102", pkg: "hang-two", severity: "LOW" },
        ]),
      });
      expect(result.code).toBe(3);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(result.stderr).toMatch(
        /error: timed out waiting for the analysis of scan \d+: still \d+ pending and \d+ processing \(0 of 2 done, 0 failed\)/,
      );
      expect(result.stderr).toMatch(/analysis of scan \d+: 0\/2 done/);
      expect(result.stdout).toBe("");
    } finally {
      stack.fake.setFault(null);
    }
  });
});

describe("vulntriage when there is no server", () => {
  it("should say the connection was refused and exit 3", async () => {
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const { port } = closed.address() as AddressInfo;
    closed.close();
    await once(closed, "close");
    for (const args of [["upload", "-", "--wait"], ["scans"], ["findings", "1"], ["analysis", "1"]]) {
      const result = await runCli([...args, "--url", `http://127.0.0.1:${port}`], {
        stdin: body("down/app:1"),
      });
      expect(result.code, args.join(" ")).toBe(3);
      expect(result.stderr).toContain(
        `error: cannot reach the vulntriage server at http://127.0.0.1:${port}: connection refused`,
      );
    }
  });
});

type Seen = { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer };

/** A stand-in API that answers each request with the next scripted reply and records what it got. */
async function scriptedServer(
  replies: ({ status: number; headers?: Record<string, string>; body: unknown } | "drop")[],
  host = "127.0.0.1",
) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      const reply = replies.shift() ?? {
        status: 500,
        body: { error: "internal", message: "no more replies" },
      };
      // The connection closes with no answer, as when the API restarts mid-request.
      if (reply === "drop") return req.socket.destroy();
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      res.end(JSON.stringify(reply.body));
    });
  });
  server.listen(0, host);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, seen, close: () => new Promise((r) => server.close(r)) };
}

const SCAN = {
  id: 7,
  image_name: "scripted/app:1",
  ingested_at: "2026-12-01T00:00:00Z",
  report_created_at: null,
  finding_count: 0,
  critical_count: 0,
  high_count: 0,
  medium_count: 0,
  low_count: 0,
  unknown_count: 0,
  kev_count: null,
  max_risk_score: null,
};

describe("vulntriage on the wire", () => {
  it("should gzip by default, send the bearer token and the image name, and wait out 503 busy with Retry-After", async () => {
    const server = await scriptedServer([
      { status: 503, headers: { "retry-after": "1" }, body: { error: "busy", message: "at the upload cap" } },
      { status: 201, body: { duplicate: false, scan: SCAN, findings_ingested: 0 } },
    ]);
    try {
      const report = body("scripted/app:1");
      const result = await runCli(["upload", "-", "--image", "scripted/app:1", "--url", server.url], {
        env: { VULNTRIAGE_TOKEN: "vt_test_token" },
        stdin: report,
      });
      expect(result.code).toBe(0);
      expect(result.stderr).toContain("the server answered 503; waiting 1s as its Retry-After asks");
      expect(server.seen).toHaveLength(2);
      const sent = server.seen[1] as Seen;
      expect(sent.method).toBe("POST");
      expect(sent.url).toBe("/api/container/scans?image_name=scripted%2Fapp%3A1");
      expect(sent.headers.authorization).toBe("Bearer vt_test_token");
      expect(sent.headers["content-encoding"]).toBe("gzip");
      expect(sent.headers["content-type"]).toBe("application/json");
      expect(gunzipSync(sent.body).toString()).toBe(report);
    } finally {
      await server.close();
    }
  });

  it("should send the report as it is with --no-gzip, and no Authorization header without a token", async () => {
    const server = await scriptedServer([{ status: 200, body: { duplicate: true, scan: SCAN } }]);
    try {
      const report = body("scripted/app:1");
      const result = await runCli(["upload", "-", "--no-gzip", "--url", server.url], { stdin: report });
      expect(result.code).toBe(0);
      const sent = server.seen[0] as Seen;
      expect(sent.headers["content-encoding"]).toBeUndefined();
      expect(sent.headers.authorization).toBeUndefined();
      expect(sent.body.toString()).toBe(report);
    } finally {
      await server.close();
    }
  });

  it("should wait out 429 with Retry-After while polling, and stop at a 503 without one", async () => {
    const settled = {
      scan_id: 7,
      findings: 0,
      by_status: { not_requested: 0, pending: 0, processing: 0, completed: 0, failed: 0 },
      eta_seconds: 0,
    };
    const server = await scriptedServer([
      { status: 201, body: { duplicate: false, scan: SCAN, findings_ingested: 0 } },
      { status: 429, headers: { "retry-after": "1" }, body: { error: "rate_limited", message: "slow down" } },
      { status: 200, body: settled },
      { status: 503, body: { error: "dependency_unavailable", message: "the database is unavailable" } },
    ]);
    try {
      const result = await runCli(["upload", "-", "--wait", "--fail-on", "high", "--url", server.url], {
        stdin: body("scripted/app:1"),
      });
      expect(result.stderr).toContain("the server answered 429; waiting 1s");
      expect(result.stderr).toContain(
        "error: the server answered 503 (dependency_unavailable): the database is unavailable",
      );
      expect(result.code).toBe(3);
      expect(server.seen.map((s) => s.url)).toEqual([
        "/api/container/scans",
        "/api/container/scans/7/analysis",
        "/api/container/scans/7/analysis",
        "/api/container/scans/7/findings?limit=1000&offset=0",
      ]);
    } finally {
      await server.close();
    }
  });
});

const SETTLED = {
  scan_id: 7,
  findings: 0,
  by_status: { not_requested: 0, pending: 0, processing: 0, completed: 0, failed: 0 },
  eta_seconds: 0,
};
const CREATED = { status: 201, body: { duplicate: false, scan: SCAN, findings_ingested: 0 } };

describe("vulntriage --wait while the API restarts", () => {
  it("should ask again after a dropped connection and a 502, say so, and finish the gate", async () => {
    const server = await scriptedServer([
      CREATED,
      "drop",
      { status: 502, body: { error: "bad_gateway", message: "upstream restarting" } },
      { status: 200, body: SETTLED },
      { status: 200, body: { items: [], total: 0, limit: 1000, offset: 0 } },
    ]);
    try {
      const result = await runCli(["upload", "-", "--wait", "--fail-on", "high", "--url", server.url], {
        stdin: body("restart/app:1"),
      });
      expect(result.stderr).toMatch(
        /^progress poll failed: cannot reach the vulntriage server at http:\/\/127\.0\.0\.1:\d+: .+; asking again until the timeout$/m,
      );
      expect(result.stderr).toContain("progress poll answered again after 2 failed tries");
      expect(result.code, result.stderr).toBe(0);
      expect(server.seen.map((s) => s.url)).toEqual([
        "/api/container/scans",
        "/api/container/scans/7/analysis",
        "/api/container/scans/7/analysis",
        "/api/container/scans/7/analysis",
        "/api/container/scans/7/findings?limit=1000&offset=0",
      ]);
    } finally {
      await server.close();
    }
  });

  it("should not ask again after a 404 or a 500, which a retry does not change", async () => {
    for (const status of [404, 500]) {
      const server = await scriptedServer([
        CREATED,
        { status, body: { error: status === 404 ? "not_found" : "internal", message: "no such scan" } },
        { status: 200, body: SETTLED },
      ]);
      try {
        const result = await runCli(["upload", "-", "--wait", "--url", server.url], {
          stdin: body("restart/app:2"),
        });
        expect(result.code).toBe(3);
        expect(result.stderr).toContain(`error: the server answered ${status}`);
        expect(result.stderr).not.toContain("asking again");
        expect(server.seen).toHaveLength(2);
      } finally {
        await server.close();
      }
    }
  });

  it("should time out at --timeout when the API stays away, naming the last failure", async () => {
    const server = await scriptedServer([CREATED, ...Array.from({ length: 20 }, () => "drop" as const)]);
    try {
      const started = Date.now();
      const result = await runCli(["upload", "-", "--wait", "--timeout", "4s", "--url", server.url], {
        stdin: body("restart/app:3"),
      });
      expect(result.code).toBe(3);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(result.stderr).toMatch(
        /error: timed out before the analysis progress could be read; the last poll failed: cannot reach the vulntriage server/,
      );
      // Backing off (1, 2, 4 s…) within 4 s: a few polls, not one a second or a busy loop.
      const polls = server.seen.filter((s) => s.url.endsWith("/analysis")).length;
      expect(polls).toBeGreaterThanOrEqual(2);
      expect(polls).toBeLessThanOrEqual(4);
    } finally {
      await server.close();
    }
  });
});

/**
 * An address of this machine that is not loopback to the CLI, yet no packet leaves: a non-loopback
 * interface's, or else 0.0.0.0, which Linux connects to this host.
 */
function ownNonLoopbackAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && !a.internal && a.family === "IPv4")?.address;
  return address ?? "0.0.0.0";
}

describe("vulntriage and plain HTTP", () => {
  it("should warn once when a token goes over http:// to another host, and not on loopback or without a token", async () => {
    const server = await scriptedServer(
      Array.from({ length: 3 }, () => ({ status: 200, body: { items: [], total: 0, limit: 50, offset: 0 } })),
      "0.0.0.0",
    );
    try {
      const remote = `http://${ownNonLoopbackAddress()}:${server.port}`;
      const warned = await runCli(["scans", "--url", remote, "--token", "vt_test"]);
      expect(warned.code, warned.stderr).toBe(0);
      expect(warned.stderr).toBe(
        `warning: the API key goes to ${remote} over plain HTTP, readable on the way; use https://\n`,
      );
      const loopback = await runCli(["scans", "--url", server.url, "--token", "vt_test"]);
      expect(loopback.stderr).toBe("");
      const anonymous = await runCli(["scans", "--url", remote]);
      expect(anonymous.stderr).toBe("");
      expect(server.seen.map((s) => s.headers.authorization)).toEqual([
        "Bearer vt_test",
        "Bearer vt_test",
        undefined,
      ]);
    } finally {
      await server.close();
    }
  });
});

describe("vulntriage usage errors", () => {
  it("should exit 2 with commander's message for bad flags and values, and for a missing report file", async () => {
    const cases: [string[], RegExp][] = [
      [["upload", "r.json", "--fail-on", "severe"], /argument 'severe' is invalid/],
      [
        ["upload", "r.json", "--fail-on-risk", "11"],
        /argument '11' is invalid. expected a whole number from 1 to 10/,
      ],
      [["upload", "r.json", "--timeout", "soon"], /argument 'soon' is invalid/],
      [["upload", "r.json", "--output", "xml"], /Allowed choices are table, json, markdown/],
      [["upload", "r.json", "--fail-on-cve"], /unknown option '--fail-on-cve'/],
      [["upload"], /missing required argument 'report'/],
      [["analysis", "abc"], /value 'abc' is invalid for argument 'finding-id'/],
      [["upload", "--url", "ftp://x", "r.json"], /expected an http\(s\) URL/],
      [["upload", "/nonexistent/report.json"], /cannot read \/nonexistent\/report\.json: ENOENT/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr, args.join(" ")).toMatch(message);
    }
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Exit codes:");
  });
});
