/**
 * Shared skeleton of the CVE-enrichment stubs (KEV, EPSS, NVD, OSV): a real node:http server on
 * 127.0.0.1, a live request log, and the faults every stub can inject. Each stub only maps a
 * recorded request to a response; this module writes it, applying the fault of the moment.
 */
import { once } from "node:events";
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { performance } from "node:perf_hooks";

export type StubFault =
  /** Error status before any body byte; `retryAfter` is seconds or an HTTP date. */
  | { kind: "http"; status: 403 | 429 | 500 | 502 | 503; retryAfter?: number | string; body?: string }
  /** Holds the (normal) answer back for `ms`, to trip client timeouts. Ends early on close(). */
  | { kind: "delay"; ms: number }
  /** HTTP 200 with the first `keepBytes` (default: half) of the normal JSON body: valid start, cut off. */
  | { kind: "truncate"; keepBytes?: number }
  /** A proxy's HTML error page served as 200 `text/html`, where the client expects JSON. */
  | { kind: "html"; status?: number }
  /** TCP reset without any response byte (ECONNRESET at the client). */
  | { kind: "reset" };

export interface StubRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Decoded query parameters (the last value wins for a repeated name). */
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
  /** Arrival time, `performance.now()` in ms: the clock tests use to check pacing. */
  at: number;
  /** Status sent; undefined while pending or when the connection was reset. */
  status: number | undefined;
  /** Kind of the fault applied to this request, if any. */
  fault: StubFault["kind"] | undefined;
}

export interface StubResponse {
  status: number;
  headers?: Record<string, string>;
  /** JSON-serialised when not a string; absent for 304 and other bodiless answers. */
  body?: unknown;
}

/** What every stub exposes besides its own data and counters. */
export interface StubBase {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Every request received, in arrival order (live array; cleared by reset()). */
  readonly requests: readonly StubRequest[];
  readonly inFlight: number;
  /** The most requests in flight at once since start or reset(). */
  readonly peakInFlight: number;
  /** Faults queued by queueFaults() and not consumed yet. */
  readonly pendingFaults: number;
  /** Fault applied to every request until cleared with null (queued faults take precedence). */
  setFault(fault: StubFault | null): void;
  /** The next N requests get these faults in order, then behaviour returns to normal. */
  queueFaults(faults: readonly StubFault[]): void;
  /** Clears the request log, counters and faults; keeps the data and the server. */
  reset(): void;
  /** Destroys all sockets and stops listening. Idempotent. */
  close(): Promise<void>;
}

type Handler = (req: StubRequest) => StubResponse;

const FAULT_TEXT: Record<number, string> = {
  403: "Request forbidden by administrative rules.",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

const HTML_PAGE = `<!DOCTYPE html>
<html><head><title>Service Temporarily Unavailable</title></head>
<body><h1>We'll be back soon</h1><p>The site is undergoing scheduled maintenance.
Reference #18.5c2f1002.1718290000.3a4b7c</p></body></html>
`;

/** Starts the server; `handle` answers requests that no fault short-circuits. */
export async function startStubServer(name: string, handle: Handler): Promise<StubBase> {
  const requests: StubRequest[] = [];
  const sockets = new Set<Socket>();
  const shutdown = new AbortController();
  let inFlight = 0;
  let peakInFlight = 0;
  let persistentFault: StubFault | null = null;
  let faultQueue: StubFault[] = [];
  let closing: Promise<void> | undefined;

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://stub");
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      return; // client went away while sending the body
    }
    const fault = faultQueue.shift() ?? persistentFault;
    const entry: StubRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: Buffer.concat(chunks).toString("utf8"),
      at: performance.now(),
      status: undefined,
      fault: fault?.kind,
    };
    requests.push(entry);
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    res.on("close", () => {
      inFlight--;
    });
    try {
      await respond(entry, res, fault);
    } catch (err) {
      // A bug in a stub must fail the test loudly, not hang it.
      if (res.headersSent) res.destroy();
      else write(res, { status: 500, body: { error: `${name}: ${(err as Error).message}` } });
    }
    entry.status = res.headersSent ? res.statusCode : undefined;
  });
  server.on("connection", (socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function respond(entry: StubRequest, res: ServerResponse, fault: StubFault | null): Promise<void> {
    switch (fault?.kind) {
      case "reset":
        res.socket?.resetAndDestroy();
        return;
      case "http": {
        const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8" };
        if (fault.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter);
        return write(res, { status: fault.status, headers, body: fault.body ?? FAULT_TEXT[fault.status] });
      }
      case "html":
        return write(res, {
          status: fault.status ?? 200,
          headers: { "content-type": "text/html; charset=utf-8" },
          body: HTML_PAGE,
        });
    }
    // Computed on arrival, so rate windows and catalogue versions see the request when it came in.
    const answer = handle(entry);
    if (fault?.kind === "delay" && !(await sleep(fault.ms, shutdown.signal))) return;
    if (fault?.kind === "truncate" && answer.body !== undefined) {
      const bytes = Buffer.from(serialise(answer.body));
      const keep = Math.min(fault.keepBytes ?? Math.floor(bytes.length / 2), bytes.length - 1);
      return write(res, { ...answer, status: 200, body: bytes.subarray(0, Math.max(1, keep)).toString() });
    }
    write(res, answer);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get inFlight() {
      return inFlight;
    },
    get peakInFlight() {
      return peakInFlight;
    },
    get pendingFaults() {
      return faultQueue.length;
    },
    setFault(fault) {
      persistentFault = fault;
    },
    queueFaults(faults) {
      faultQueue.push(...faults);
    },
    reset() {
      requests.length = 0;
      peakInFlight = inFlight;
      persistentFault = null;
      faultQueue = [];
    },
    close() {
      closing ??= (async () => {
        shutdown.abort(); // wakes pending delays
        const socketsClosed = [...sockets].map((socket) => once(socket, "close"));
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
        await Promise.all([serverClosed, ...socketsClosed]);
      })();
      return closing;
    },
  };
}

/**
 * The stub's own object on top of the shared one. Property descriptors are copied, so the shared
 * getters stay live; `extras` wins on a clash (its reset() calls the shared one).
 */
export function extendStub<T extends object>(base: StubBase, extras: T): StubBase & NoInfer<T> {
  const out = {};
  Object.defineProperties(out, Object.getOwnPropertyDescriptors(base));
  Object.defineProperties(out, Object.getOwnPropertyDescriptors(extras));
  return out as StubBase & NoInfer<T>;
}

function serialise(body: unknown): string {
  return typeof body === "string" ? body : JSON.stringify(body);
}

function write(res: ServerResponse, answer: StubResponse): void {
  if (res.destroyed) return;
  const headers: Record<string, string> = { ...answer.headers };
  if (answer.body === undefined) {
    res.writeHead(answer.status, headers);
    res.end();
    return;
  }
  headers["content-type"] ??= "application/json";
  const bytes = Buffer.from(serialise(answer.body));
  headers["content-length"] = String(bytes.length);
  res.writeHead(answer.status, headers);
  res.end(bytes);
}

/** Resolves true after `ms`, or false as soon as `signal` aborts (never rejects, leaves no timer). */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
