/**
 * Turns a local model's Markdown answer ("Summary", "Recommendations", "Risk Score") into a structured
 * analysis. Pure and dependency-free; the steps live in ./parse/.
 *
 * Everything is line- or character-based with bounded look-around, so the work is linear in the input
 * even for hostile answers: no regex in the parser has adjacent or nested unbounded quantifiers.
 */

import { AnalysisParseError, type ParsedAnalysis } from "./parse/errors.js";
import { inferKinds } from "./parse/infer.js";
import { prepareLines } from "./parse/normalise.js";
import { pickSummary, renderRecommendations } from "./parse/render.js";
import { pickRiskScore } from "./parse/score.js";
import { splitSections } from "./parse/sections.js";

export { AnalysisParseError, type AnalysisParseErrorCode, type ParsedAnalysis } from "./parse/errors.js";

/** @throws AnalysisParseError; there is deliberately no fallback score. */
export function parseAnalysis(raw: string): ParsedAnalysis {
  const lines = prepareLines(raw);
  if (!lines.some((line) => line.trim() !== "")) throw new AnalysisParseError("empty");
  const sections = splitSections(lines);
  inferKinds(sections);
  const summary = pickSummary(sections);
  if (summary === "") throw new AnalysisParseError("no_summary");
  return { summary, recommendations: renderRecommendations(sections), riskScore: pickRiskScore(sections) };
}
