import type { Config } from "@vulntriage/core";
import type { FastifyBaseLogger } from "fastify";

/** Says at start who may call the API, so an open API is never a surprise. */
export function logAuthMode(log: FastifyBaseLogger, mode: Config["authMode"], keysExist: boolean): void {
  if (mode === "off")
    log.warn({ authMode: mode }, "AUTH_MODE=off: every route is open to anyone who can reach this port");
  else if (mode === "auto" && !keysExist)
    log.warn(
      { authMode: mode },
      "AUTH_MODE=auto and no API key exists yet: callers on loopback are let in without one until the first key is created (npm run keys -- create …)",
    );
  else if (mode === "auto")
    log.info({ authMode: mode }, "AUTH_MODE=auto: every route but /health and /docs needs an API key");
  else log.info({ authMode: mode }, "AUTH_MODE=required: every route but /health and /docs needs an API key");
}
