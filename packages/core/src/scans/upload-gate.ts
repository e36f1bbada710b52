import { isDatabaseUnavailable } from "@vulntriage/db";
import { BusyError, DomainError } from "../errors.js";
import type { ReportParser } from "./report-source.js";

export type UploadGateOptions = {
  /** MAX_CONCURRENT_UPLOADS: new reports parsed and written at once. */
  maxConcurrent: number;
  /** UPLOAD_WAIT_MS: how long an upload waits for a free slot before it is refused as busy. */
  waitMs: number;
  parser: ReportParser;
  closeParser?: () => Promise<void>;
};

export type UploadGate = {
  /**
   * Runs `store` in a slot, unless the same upload (same key) is already running: then waits for
   * it and answers with its value, `shared: true`, without taking a slot.
   */
  run: <T>(
    key: string,
    store: (parser: ReportParser) => Promise<T>,
  ) => Promise<{ value: T; shared: boolean }>;
  close: () => Promise<void>;
};

// A client error of the first upload (422, 400) is the answer for the same bytes too; anything
// else (busy, an outage, a bug) may not repeat, so the others then try themselves.
function sharedFailure(error: unknown): boolean {
  return (
    error instanceof DomainError &&
    error.code !== "busy" &&
    error.code !== "dependency_unavailable" &&
    !isDatabaseUnavailable(error)
  );
}

export function createUploadGate(options: UploadGateOptions): UploadGate {
  let active = 0;
  const queue: { admit: () => void }[] = [];
  const inFlight = new Map<string, Promise<unknown>>();
  const retryAfterSeconds = Math.max(1, Math.ceil(options.waitMs / 1000));

  const busy = () =>
    new BusyError(
      `${options.maxConcurrent} uploads are being processed; send this one again in ${retryAfterSeconds} s`,
      retryAfterSeconds,
    );

  const acquire = async (): Promise<void> => {
    if (active < options.maxConcurrent) {
      active++;
      return;
    }
    if (options.waitMs === 0) throw busy();
    await new Promise<void>((resolve, reject) => {
      const entry = {
        admit: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        queue.splice(queue.indexOf(entry), 1);
        reject(busy());
      }, options.waitMs);
      queue.push(entry);
    });
  };

  // A freed slot passes straight to the longest waiter, so `active` never overshoots.
  const release = () => {
    const next = queue.shift();
    if (next) next.admit();
    else active--;
  };

  const lead = async <T>(key: string, store: (parser: ReportParser) => Promise<T>): Promise<T> => {
    const running = (async () => {
      await acquire();
      try {
        return await store(options.parser);
      } finally {
        release();
      }
    })();
    inFlight.set(key, running);
    try {
      return await running;
    } finally {
      if (inFlight.get(key) === running) inFlight.delete(key);
    }
  };

  return {
    run: async (key, store) => {
      // Bounded: each turn waits for another first upload; after three, this one goes itself.
      for (let turn = 0; ; turn++) {
        const first = inFlight.get(key);
        if (!first || turn >= 3) return { value: await lead(key, store), shared: false };
        try {
          return { value: (await first) as Awaited<ReturnType<typeof store>>, shared: true };
        } catch (error) {
          if (sharedFailure(error)) throw error;
        }
      }
    },
    close: async () => {
      await options.closeParser?.();
    },
  };
}
