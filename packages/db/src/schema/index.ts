export * from "./api-keys.js";
export * from "./container-findings.js";
export * from "./container-scans.js";
export * from "./cve-enrichment.js";
export * from "./llm-analyses.js";
