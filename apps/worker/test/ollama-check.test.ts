import { checkOllamaModel } from "@vulntriage/core";
import { startFakeOllama } from "@vulntriage/test-utils";
import { describe, expect, it } from "vitest";

describe(checkOllamaModel.name, () => {
  it("should say nothing when the model is pulled, and name the pull command when it is not", async () => {
    const fake = await startFakeOllama({ models: ["llama3.2:3b", "qwen2.5:latest"] });
    try {
      expect(await checkOllamaModel({ host: fake.url, model: "llama3.2:3b" })).toBeUndefined();
      expect(await checkOllamaModel({ host: fake.url, model: "qwen2.5" })).toBeUndefined();
      expect(await checkOllamaModel({ host: fake.url, model: "mistral:7b" })).toMatch(
        /ollama pull mistral:7b/,
      );
    } finally {
      await fake.close();
    }
  });

  it("should say when Ollama cannot be reached", async () => {
    expect(await checkOllamaModel({ host: "http://127.0.0.1:1", model: "llama3.2:3b" })).toMatch(
      /not reachable/,
    );
  });
});
