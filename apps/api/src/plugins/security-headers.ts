import cors from "@fastify/cors";
import helmet from "@fastify/helmet";
import type { FastifyInstance } from "fastify";

// The Swagger UI loads its own scripts and styles and fetches /docs/json; nothing else. Its React
// views set style attributes, hence 'unsafe-inline' for styles only. No upgrade-insecure-requests:
// the API is served over plain HTTP on loopback, and that would break the page there.
export const DOCS_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self' 'unsafe-inline'",
].join("; ");

// The queue dashboard (bull-board) is a single-page app: its scripts, styles, icons and API calls
// come from this origin; its loading screen and views set inline styles. It links a Google Fonts
// stylesheet, which is left blocked (the system font is used): an admin page loads nothing from
// third parties. No frames, no forms posted elsewhere, no plugins.
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "img-src 'self' data:",
  "manifest-src 'self'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self' 'unsafe-inline'",
].join("; ");

/**
 * helmet's headers, set for a JSON API: its answers may load nothing and be framed nowhere (the
 * docs set their own policy). CORS only when CORS_ORIGINS lists origins.
 */
export async function registerSecurityHeaders(
  app: FastifyInstance,
  options: { corsOrigins: string[] | null },
): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
  });
  if (options.corsOrigins) {
    await app.register(cors, {
      origin: options.corsOrigins.includes("*") ? "*" : options.corsOrigins,
      methods: ["GET", "POST", "DELETE"],
      allowedHeaders: ["authorization", "x-api-key", "content-type", "content-encoding"],
      exposedHeaders: ["location", "retry-after"],
      maxAge: 600,
    });
  }
}
