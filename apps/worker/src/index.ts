export * from "./analysis-worker.js";
