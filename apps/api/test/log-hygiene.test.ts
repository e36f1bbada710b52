import { Writable } from "node:stream";
import { createApiKey, failureSummary, loggerOptions } from "@vulntriage/core";
import { findScanById } from "@vulntriage/db";
import { readTrivyFixture } from "@vulntriage/test-utils";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi, uploadReport } from "./helpers.js";

const TOKEN = "secret-token-xyz";
const MARKER = "param-marker-4f1c9";

/** A logger as server.ts builds it, at trace level, keeping every line it writes. */
function capturingLogger() {
  const lines: { level: number; text: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString("utf8").split("\n").filter(Boolean)) {
        lines.push({ level: (JSON.parse(text) as { level: number }).level, text });
      }
      done();
    },
  });
  return { log: pino(loggerOptions("trace"), stream), lines };
}

// pino's levels: 30 info, 40 warn, 50 error.
const INFO = 30;
const STACK = /\n\s+at |\\n\s+at /;

describe("what the logs say", () => {
  it("should redact authorization, x-api-key and API-key headers wherever a line nests them", () => {
    const { log, lines } = capturingLogger();
    log.info({ req: { headers: { authorization: `Bearer ${TOKEN}`, "x-api-key": TOKEN } } }, "a");
    log.info({ headers: { authorization: TOKEN, "x-api-key": TOKEN, apiKey: TOKEN } }, "b");
    log.info(
      { request: { headers: { authorization: TOKEN } }, upstream: { headers: { apiKey: TOKEN } } },
      "c",
    );
    log.error({ err: { config: { headers: { authorization: TOKEN } } } }, "d");
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      expect(line.text).not.toContain(TOKEN);
      expect(line.text).toContain("[redacted]");
    }
  });

  describe("through the API", () => {
    let api: TestApi;
    // A real key, so that the requests get past the access check and the token is worth hiding.
    let token: string;
    const captured = capturingLogger();

    beforeAll(async () => {
      api = await startTestApi({ loggerInstance: captured.log, access: { authMode: "required" } });
      const ctx = { db: api.database.db, log: { info() {}, warn() {}, error() {} } } as never;
      ({ token } = await createApiKey({ ctx, input: { name: "log-test", scopes: ["admin"] } }));
      // A constraint the ingest's UPDATE breaks: a real database error, with the image name among
      // the statement's parameters.
      await api.database.pool.query(
        `alter table container_scans add constraint no_marker check (image_name <> '${MARKER}')`,
      );
    });
    afterAll(async () => {
      await api?.close();
    });

    it("should log a database failure's kind and code above debug, and its SQL, parameters and stack only at debug", async () => {
      const report = JSON.parse(readTrivyFixture("trivy/main/alpine-310.json.golden").toString("utf8"));
      report.ArtifactName = MARKER;
      const answer = await uploadReport(api.url, JSON.stringify(report), {
        headers: { authorization: `Bearer ${token}`, "x-api-key": token },
      });
      expect(answer.status).toBe(500);
      expect(answer.body).toEqual({
        error: "internal_error",
        message: "the server failed to handle this request",
      });

      const failure = captured.lines.find((l) => l.text.includes('"request failed"'));
      expect(failure?.level).toBe(50);
      expect(JSON.parse(failure?.text ?? "{}").failure).toEqual({ type: "database_error", code: "23514" });
      // The details exist, at debug, so the assertions below are not vacuous.
      const details = captured.lines.filter((l) => l.level < INFO && l.text.includes(MARKER));
      expect(details.length).toBeGreaterThan(0);
    });

    it("should log a refused upload's code above debug, not the report text its message quotes", async () => {
      const answer = await uploadReport(
        api.url,
        `{"SchemaVersion":2,"Results":[{"Vulnerabilities":[{"PkgName":"p","Severity":"${MARKER}"}]}]}`,
        {
          headers: { authorization: `Bearer ${token}` },
        },
      );
      expect(answer.status).toBe(422);
      expect(answer.body.message).toContain(MARKER);
      const broken = await uploadReport(api.url, `{"SchemaVersion":2,"Results":[${MARKER}`, {
        headers: { "x-api-key": token },
      });
      expect(broken.status).toBe(400);
    });

    it("should have written no token anywhere, and no SQL, parameter, report text or stack at info or above", () => {
      expect(captured.lines.length).toBeGreaterThan(5);
      for (const line of captured.lines) expect(line.text).not.toContain(token);
      for (const line of captured.lines.filter((l) => l.level >= INFO)) {
        expect(line.text).not.toContain(MARKER);
        expect(line.text).not.toMatch(/Failed query|params:|container_scans|\binsert into\b|\bupdate "/i);
        expect(line.text).not.toMatch(STACK);
        expect(line.text).not.toContain('"stack"');
      }
    });
  });

  it("should summarise a driver error by its SQLSTATE, without the statement or its parameters", async () => {
    const api = await startTestApi();
    try {
      // A text where the id should be: the server quotes it in its message, drizzle in its own.
      const error = await findScanById(api.database.db, MARKER as unknown as number).catch((e: unknown) => e);
      expect(String((error as Error).message)).toContain(MARKER);
      const summary = failureSummary(error);
      expect(summary).toEqual({ type: "database_error", code: "22P02" });
      expect(JSON.stringify(summary)).not.toContain(MARKER);
    } finally {
      await api.close();
    }
  });

  it("should keep a short first line of other failures", () => {
    const error = new Error(`the model did not answer within 600000 ms\n${"detail ".repeat(100)}`);
    expect(failureSummary(error)).toEqual({
      type: "Error",
      message: "the model did not answer within 600000 ms",
    });
    expect(failureSummary(new Error("x".repeat(500))).message).toHaveLength(201);
  });
});
