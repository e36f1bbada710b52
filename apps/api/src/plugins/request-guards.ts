import { DomainError, InvalidRequestError } from "@vulntriage/core";
import type { FastifyInstance, FastifyRequest, preValidationHookHandler } from "fastify";
import { answerOnSocket } from "./client-errors.js";

/**
 * With ALLOWED_HOSTS set, a request naming another Host is refused (a DNS-rebinding page in a
 * browser names the attacker's host). /health stays open to probes that address the pod by IP.
 * HTTP/1.1 without a Host is refused here rather than by Node, which would answer an empty 400.
 */
export function checkHosts(app: FastifyInstance, allowedHosts: string[] | null): void {
  const allowed = allowedHosts ? new Set(allowedHosts) : null;
  app.addHook("onRequest", async (request) => {
    const host = request.headers.host;
    if (!host && request.raw.httpVersion === "1.1")
      throw new InvalidRequestError("the Host header is required");
    if (!allowed || request.routeOptions.url === "/health") return;
    if (host && (allowed.has(request.host.toLowerCase()) || allowed.has(request.hostname.toLowerCase())))
      return;
    throw new DomainError(
      "misdirected_request",
      `this server does not answer for host ${JSON.stringify(request.hostname.slice(0, 100))} (ALLOWED_HOSTS)`,
    );
  });
}

/**
 * Every integer path parameter (IdParam) must be written as digits: Ajv's coercion would otherwise
 * read "1e3", " 1", "0x10" or "+1" as some other id. Added to each route that has one as it is
 * registered, so a new route cannot forget it.
 */
export function digitPathIds(app: FastifyInstance): void {
  app.addHook("onRoute", (route) => {
    const properties = (
      route.schema?.params as { properties?: Record<string, { type?: unknown }> } | undefined
    )?.properties;
    const names = Object.entries(properties ?? {})
      .filter(([, schema]) => schema.type === "integer")
      .map(([name]) => name);
    if (names.length === 0) return;
    const check = async (request: FastifyRequest) => {
      const params = request.params as Record<string, unknown>;
      for (const name of names) {
        const raw = params[name];
        if (typeof raw !== "string" || !/^\d{1,16}$/.test(raw))
          throw new InvalidRequestError(`${name} must be a positive integer`);
      }
    };
    const existing = route.preValidation;
    route.preValidation = [...(existing ? [existing].flat() : []), check as preValidationHookHandler];
  });
}

/**
 * A body that stops arriving for `idleMs` is cut off with 408. Watched by the socket's byte count,
 * not by reading the body, so the parsers downstream see the stream untouched.
 */
export function cutIdleBodies(app: FastifyInstance, idleMs: number): void {
  const every = Math.max(20, Math.min(1_000, Math.floor(idleMs / 4)));
  app.addHook("onRequest", async (request, reply) => {
    const raw = request.raw;
    const hasBody =
      raw.headers["content-length"] !== undefined || raw.headers["transfer-encoding"] !== undefined;
    if (raw.complete || !hasBody) return;
    const socket = raw.socket;
    let seen = socket.bytesRead;
    let since = Date.now();
    const timer = setInterval(() => {
      if (raw.complete || socket.destroyed) {
        clearInterval(timer);
      } else if (socket.bytesRead !== seen) {
        seen = socket.bytesRead;
        since = Date.now();
      } else if (Date.now() - since >= idleMs) {
        clearInterval(timer);
        request.log.info({ idleMs }, "request body stalled; connection closed");
        if (reply.raw.headersSent) socket.destroy();
        else
          answerOnSocket(socket, {
            status: 408,
            body: {
              error: "request_timeout",
              message: `no byte of the body arrived for ${idleMs} ms (HTTP_BODY_IDLE_TIMEOUT_MS)`,
            },
          });
      }
    }, every);
    timer.unref();
  });
}
