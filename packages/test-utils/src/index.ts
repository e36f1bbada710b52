export * from "./database-urls";
export * from "./fixtures";
export * from "./test-database";
export * from "./test-server";
