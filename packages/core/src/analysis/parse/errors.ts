/** What the answer parser hands back, and the one error it throws. */

export type ParsedAnalysis = { summary: string; recommendations: string[]; riskScore: number };

export type AnalysisParseErrorCode = "empty" | "no_summary" | "no_risk_score" | "invalid_risk_score";

const MESSAGES: Record<AnalysisParseErrorCode, string> = {
  empty: "the answer is empty once reasoning blocks and special tokens are removed",
  no_summary: "the answer has no Summary section with text in it",
  no_risk_score: "the answer has no Risk Score section with an integer from 1 to 10",
  invalid_risk_score: "the answer's risk score is not an integer from 1 to 10",
};

export class AnalysisParseError extends Error {
  readonly code: AnalysisParseErrorCode;

  constructor(code: AnalysisParseErrorCode, detail?: string) {
    super(detail ? `${MESSAGES[code]} (${detail})` : MESSAGES[code]);
    this.name = "AnalysisParseError";
    this.code = code;
  }
}
