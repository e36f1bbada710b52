import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { promisify } from "node:util";
import { parentPort } from "node:worker_threads";
import { gzip } from "node:zlib";
import { encodeFindingRows } from "@vulntriage/db";
import { DomainError } from "../errors.js";
import { type ParsedFinding, readTrivyReport } from "../trivy/parse-report.js";
import type { FromThread, ThreadError, ToThread } from "./parse-threads.js";

// One report at a time, off the API's event loop: JSON.parse of a 20 MB report alone blocks a
// thread for 100–250 ms, which /health and reads must not wait behind.

const gzipAsync = promisify(gzip);
const port = parentPort;
if (!port) throw new Error("parse-thread.js runs as a worker thread");

// On a busy machine the main thread (health checks, reads, the COPY streams) goes first: Linux
// gives each thread its own nice value, and this thread's id is the last part of /proc/thread-self.
try {
  setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), 10);
} catch {
  // not Linux, or not allowed: parsing then competes at the normal priority
}

type Job = {
  id: number;
  reader: ReturnType<typeof readTrivyReport>;
  compressed: Promise<Buffer> | undefined;
  batches?: Generator<ParsedFinding[]>;
  scanId: number;
  pendingUpToRank: number | null;
  credits: number;
};

let job: Job | undefined;

function send(message: FromThread, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

function describe(error: unknown): ThreadError {
  if (error instanceof DomainError) return { code: error.code, message: error.message };
  return { message: error instanceof Error ? error.message : String(error) };
}

function fail(current: Job, error: unknown): void {
  job = undefined;
  send({ type: "failed", id: current.id, error: describe(error) });
}

async function finish(current: Job): Promise<void> {
  const { scan, replacements } = current.reader.finish();
  const content = current.compressed ? await current.compressed : undefined;
  if (job !== current) return;
  job = undefined;
  const transfer = content && content.byteOffset === 0 && content.buffer.byteLength === content.length;
  send(
    { type: "finished", id: current.id, scan, replacements, compressed: content },
    transfer ? [content.buffer as ArrayBuffer] : [],
  );
}

/** Builds and sends batches while the main thread has asked for them (it holds at most two ahead). */
function pump(current: Job): void {
  while (job === current && current.credits > 0 && current.batches) {
    let next: IteratorResult<ParsedFinding[]>;
    try {
      next = current.batches.next();
    } catch (error) {
      fail(current, error);
      return;
    }
    if (next.done) {
      current.batches = undefined;
      finish(current).catch((error) => fail(current, error));
      return;
    }
    current.credits--;
    send({
      type: "chunk",
      id: current.id,
      text: encodeFindingRows(current.scanId, next.value, current.pendingUpToRank),
    });
  }
}

port.on("message", (message: ToThread) => {
  if (message.type === "open") {
    const body = Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength);
    try {
      const reader = readTrivyReport(body, { imageName: message.imageName });
      const compressed = message.compress ? gzipAsync(body, { level: 1 }) : undefined;
      compressed?.catch(() => {});
      job = { id: message.id, reader, compressed, scanId: 0, pendingUpToRank: null, credits: 0 };
      send({ type: "opened", id: message.id });
    } catch (error) {
      job = undefined;
      send({ type: "failed", id: message.id, error: describe(error) });
    }
    return;
  }
  if (!job || job.id !== message.id) return;
  if (message.type === "rows") {
    job.scanId = message.scanId;
    job.pendingUpToRank = message.pendingUpToRank;
    job.batches = job.reader.batches();
    job.credits = 2;
    pump(job);
  } else if (message.type === "more") {
    job.credits++;
    pump(job);
  } else {
    job = undefined;
  }
});
