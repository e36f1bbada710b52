export * from "./analysis-worker";
