import { readFileSync } from "node:fs";
import { REPO_ROOT } from "@vulntriage/test-utils";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../src/config.js";

type Service = { command?: string[]; environment?: Record<string, string> };
const compose = parse(readFileSync(`${REPO_ROOT}/docker-compose.yml`, "utf8"), { merge: true }) as {
  services: Record<string, Service>;
};
const ours = Object.entries(compose.services).filter(([, service]) =>
  service.command?.some((part) => part.startsWith("apps/")),
);

// A bad value in the compose file would stop the container at start; an unknown name would be
// silently ignored, so every name must be one the README documents.
describe("docker-compose.yml", () => {
  it("should run the API, the worker and the migration with the repository's config", () => {
    expect(ours.map(([name]) => name).sort()).toEqual(["api", "migrate", "worker"]);
  });

  it.each(ours)("should give %s an environment loadConfig accepts", (_name, service) => {
    expect(() => loadConfig(service.environment ?? {})).not.toThrow();
  });

  it.each(ours)("should use only variables the README documents in %s", (_name, service) => {
    const readme = readFileSync(`${REPO_ROOT}/README.md`, "utf8");
    for (const name of Object.keys(service.environment ?? {})) expect(readme, name).toContain(`\`${name}\``);
  });

  it("should refuse a value loadConfig cannot use, so the check above can fail", () => {
    const env = { ...compose.services.worker?.environment, WORKER_METRICS_PORT: "96000" };
    expect(() => loadConfig(env)).toThrow(/WORKER_METRICS_PORT/);
  });

  it("should serve the worker's metrics on the compose network and keep the API's behind a key", () => {
    const worker = loadConfig(compose.services.worker?.environment ?? {});
    expect(worker.metrics).toEqual({ access: "key", workerPort: 9464, workerHost: "0.0.0.0" });
    const api = loadConfig(compose.services.api?.environment ?? {});
    expect(api.metrics.access).toBe("key");
    expect(api.metrics.workerPort).toBeNull();
  });
});
