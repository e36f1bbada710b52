export * from "./container-findings.js";
export * from "./container-scans.js";
export * from "./llm-analyses.js";
