export * from "./database-urls.js";
export * from "./fake-ollama.js";
export * from "./fixtures.js";
export * from "./llm-answer-corpus.js";
export * from "./processes.js";
export * from "./redis-keys.js";
export * from "./test-database.js";
export * from "./test-server.js";
