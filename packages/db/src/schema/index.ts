export * from "./container-findings";
export * from "./container-scans";
