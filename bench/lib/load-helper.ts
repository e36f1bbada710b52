// @ts-expect-error autocannon ships no type declarations and @types/autocannon is not installed
import autocannon from "autocannon";

export type LoadResult = {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
};

/**
 * autocannon against 127.0.0.1 only, bounded in time, cycling GET paths so every connection asks
 * for a different row in turn.
 */
export async function runLoad(options: {
  url: string;
  paths: string[];
  connections: number;
  durationSeconds: number;
}): Promise<LoadResult> {
  if (new URL(options.url).hostname !== "127.0.0.1") throw new Error("load only against 127.0.0.1");
  let next = 0;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: 10,
    requests: [
      {
        method: "GET",
        setupRequest: (request: { path: string }) => {
          request.path = options.paths[next++ % options.paths.length] as string;
          return request;
        },
      },
    ],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
