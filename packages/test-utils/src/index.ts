export * from "./database-urls";
export * from "./fake-ollama";
export * from "./fixtures";
export * from "./llm-answer-corpus";
export * from "./redis-keys";
export * from "./test-database";
export * from "./test-server";
