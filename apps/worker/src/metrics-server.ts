import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Metrics } from "@vulntriage/core";

export type MetricsServer = { url: string; close: () => Promise<void> };

/**
 * The worker's Prometheus endpoint: GET /metrics and nothing else, no key (bind it to a private
 * address: WORKER_METRICS_HOST defaults to loopback). A scrape never throws: a failed collection
 * answers 500 and the next scrape tries again.
 */
export async function startMetricsServer(options: {
  metrics: Metrics;
  host: string;
  port: number;
}): Promise<MetricsServer> {
  const { registry } = options.metrics;
  const server = createServer((request, response) => {
    const path = request.url?.split("?")[0];
    if (path !== "/metrics" || (request.method !== "GET" && request.method !== "HEAD")) {
      response.writeHead(path === "/metrics" ? 405 : 404, { "content-type": "text/plain" }).end();
      return;
    }
    registry.metrics().then(
      (text) => {
        response.writeHead(200, { "content-type": registry.contentType });
        response.end(request.method === "HEAD" ? undefined : text);
      },
      () => response.writeHead(500, { "content-type": "text/plain" }).end("metrics collection failed\n"),
    );
  });
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.listen(options.port, options.host);
  await once(server, "listening");
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}/metrics`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
