export * from "./client";
export * from "./ensure-database";
export * from "./migrate";
export * from "./repositories/analyses";
export * from "./repositories/findings";
export * from "./repositories/scans";
export * from "./schema";
