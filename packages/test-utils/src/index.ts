export * from "./database-urls";
export * from "./fixtures";
export * from "./test-database";
export * from "./test-server";
export * from "./fake-ollama";
export * from "./llm-answer-corpus";
