export * from "./container-findings";
export * from "./container-scans";
export * from "./llm-analyses";
