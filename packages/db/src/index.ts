export * from "./client.js";
export * from "./ensure-database.js";
export * from "./migrate.js";
export * from "./repositories/analyses.js";
export * from "./repositories/findings.js";
export * from "./repositories/health.js";
export * from "./repositories/scans.js";
export * from "./schema/index.js";
