export * from "./app.js";
