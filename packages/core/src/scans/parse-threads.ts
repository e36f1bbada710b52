import { Worker } from "node:worker_threads";
import type { StoredReport } from "@vulntriage/db";
import { DomainError, type ErrorCode } from "../errors.js";
import type { ParsedFinding, ParsedScan } from "../trivy/parse-report.js";
import type { OpenedReport, ReportParser } from "./report-source.js";

export type ThreadError = { code?: ErrorCode; message: string };

export type ToThread =
  | { type: "open"; id: number; body: Uint8Array; imageName: string | undefined; compress: boolean }
  | { type: "rows"; id: number; scanId: number; pendingUpToRank: number | null }
  | { type: "more"; id: number }
  | { type: "abort"; id: number };

export type FromThread =
  | { type: "opened"; id: number }
  | { type: "chunk"; id: number; text: string }
  | {
      type: "finished";
      id: number;
      scan: ParsedScan;
      replacements: ParsedFinding[];
      compressed: Uint8Array | undefined;
    }
  | { type: "failed"; id: number; error: ThreadError };

// Larger bodies are Buffer.concat's own allocation, so handing their memory over loses nothing
// shared; smaller ones are copied (they may be a slice of Node's shared pool).
const TRANSFER_FROM_BYTES = 1024 * 1024;

// From dist/ the thread runs the compiled file; from sources (tests) it loads TypeScript through tsx.
const FROM_SOURCE = import.meta.url.endsWith(".ts");
const ENTRY = new URL(FROM_SOURCE ? "./parse-thread.ts" : "./parse-thread.js", import.meta.url);

function spawnThread(): Worker {
  if (!FROM_SOURCE) return new Worker(ENTRY);
  return new Worker(
    `import { register } from "tsx/esm/api"; register(); await import(${JSON.stringify(ENTRY.href)});`,
    { eval: true, execArgv: ["--conditions=@vulntriage/source"] },
  );
}

function revive(error: ThreadError): Error {
  return error.code ? new DomainError(error.code, error.message) : new Error(error.message);
}

type Thread = { worker: Worker; dead: boolean; inbox: FromThread[]; wake: (() => void) | undefined };

/**
 * Parses reports on up to `size` worker threads (the upload gate admits no more at once), reused
 * from one upload to the next. A thread that dies fails only the upload it was parsing.
 */
export function createParseThreads(size: number): { parse: ReportParser; close: () => Promise<void> } {
  const idle: Thread[] = [];
  const all = new Set<Thread>();
  let nextId = 1;

  const start = (): Thread => {
    const thread: Thread = { worker: spawnThread(), dead: false, inbox: [], wake: undefined };
    const died = (reason: string) => {
      thread.dead = true;
      all.delete(thread);
      const at = idle.indexOf(thread);
      if (at >= 0) idle.splice(at, 1);
      thread.inbox.push({
        type: "failed",
        id: -1,
        error: { message: `the report parser stopped: ${reason}` },
      });
      thread.wake?.();
    };
    thread.worker.on("message", (message: FromThread) => {
      thread.inbox.push(message);
      thread.wake?.();
    });
    thread.worker.on("error", (error) => died(error.message));
    thread.worker.on("exit", (code) => died(`exit code ${code}`));
    all.add(thread);
    return thread;
  };

  const parse: ReportParser = async (input) => {
    const thread = idle.pop() ?? start();
    const id = nextId++;
    // Messages of an earlier, aborted upload may still arrive: only this upload's (or a death) count.
    const next = async (): Promise<FromThread> => {
      for (;;) {
        const message = thread.inbox.shift();
        if (message && (message.id === id || message.id === -1)) return message;
        if (!message) await new Promise<void>((resolve) => (thread.wake = resolve));
      }
    };
    let open = true;
    const close = () => {
      if (!open) return;
      open = false;
      thread.wake = undefined;
      if (thread.dead) return;
      thread.worker.postMessage({ type: "abort", id } satisfies ToThread);
      thread.inbox.length = 0;
      if (idle.length < size) idle.push(thread);
      else void thread.worker.terminate();
    };

    const originalBytes = input.body.length;
    const body = input.body;
    const whole = body.byteOffset === 0 && body.buffer.byteLength === body.length;
    const transfer = whole && body.length >= TRANSFER_FROM_BYTES ? [body.buffer as ArrayBuffer] : [];
    thread.worker.postMessage(
      {
        type: "open",
        id,
        body: new Uint8Array(body.buffer, body.byteOffset, body.length),
        imageName: input.imageName,
        compress: !input.gzipBody,
      } satisfies ToThread,
      transfer,
    );
    const opened = await next();
    if (opened.type === "failed") {
      close();
      throw revive(opened.error);
    }

    let finished: Extract<FromThread, { type: "finished" }> | undefined;
    let storeReport: (report: StoredReport) => void = () => {};
    const report: Promise<StoredReport> = input.gzipBody
      ? Promise.resolve({ content: input.gzipBody, contentEncoding: "gzip", originalBytes })
      : new Promise((resolve) => (storeReport = resolve));

    async function* findings(scanId: number, pendingUpToRank: number | null): AsyncGenerator<string> {
      thread.worker.postMessage({ type: "rows", id, scanId, pendingUpToRank } satisfies ToThread);
      for (;;) {
        const message = await next();
        if (message.type === "chunk") {
          thread.worker.postMessage({ type: "more", id } satisfies ToThread);
          yield message.text;
        } else if (message.type === "finished") {
          finished = message;
          const { compressed } = message;
          if (compressed) {
            const content = Buffer.from(compressed.buffer, compressed.byteOffset, compressed.byteLength);
            storeReport({ content, contentEncoding: "gzip", originalBytes });
          }
          return;
        } else if (message.type === "failed") {
          throw revive(message.error);
        }
      }
    }

    return {
      findings,
      finish: async () => {
        if (!finished) throw new Error("finish() called before every batch was read");
        return { scan: finished.scan, replacements: finished.replacements };
      },
      report,
      close,
    } satisfies OpenedReport;
  };

  return {
    parse,
    close: async () => {
      idle.length = 0;
      await Promise.all([...all].map((thread) => thread.worker.terminate()));
    },
  };
}
