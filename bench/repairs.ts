import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { AnalysisParseError, parseAnalysis } from "@vulntriage/core";
import { badLlmAnswers, llmAnswerCorpus } from "@vulntriage/test-utils";

const FIXTURE_ANSWERS = fileURLToPath(
  new URL("../packages/core/test/fixtures/llm-answers/", import.meta.url),
);

/** An answer the parser cannot use gets one repair turn: how many would, per 100 answers. */
function repairsPer100(answers: string[]): { answers: number; repairs: number; per100: number } {
  let repairs = 0;
  for (const answer of answers) {
    try {
      parseAnalysis(answer);
    } catch (error) {
      if (!(error instanceof AnalysisParseError)) throw error;
      repairs++;
    }
  }
  return { answers: answers.length, repairs, per100: answers.length ? (100 * repairs) / answers.length : 0 };
}

export function benchRepairs(): void {
  console.log("\n## 5. Repair turns per 100 answers on the test corpora (answers the parser cannot use)");
  const fixtureAnswers = readdirSync(FIXTURE_ANSWERS)
    .filter((name) => name.endsWith(".md"))
    .map((name) => readFileSync(`${FIXTURE_ANSWERS}${name}`, "utf8"));
  const corpora = {
    "fake Ollama's answers (test-utils corpus)": llmAnswerCorpus.map((e) => e.answer),
    "recorded model answers (core fixtures)": fixtureAnswers,
    "deliberately unusable answers": badLlmAnswers.map((b) => b.answer),
  };
  for (const [name, answers] of Object.entries(corpora)) {
    const { answers: n, repairs, per100 } = repairsPer100(answers);
    console.log(
      `${name.padEnd(44)} ${String(repairs).padStart(3)} of ${String(n).padStart(3)}  = ${per100.toFixed(1)} per 100`,
    );
  }
  const all = repairsPer100(Object.values(corpora).flat());
  console.log(
    `${"all together".padEnd(44)} ${String(all.repairs).padStart(3)} of ${String(all.answers).padStart(3)}  = ${all.per100.toFixed(1)} per 100`,
  );
}
