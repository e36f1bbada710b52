import { countScanAnalysis, recentAnswerRate } from "@vulntriage/db";
import { type Static, Type } from "typebox";
import type { ServiceContext } from "../context.js";
import { resolveScan, type ScanIdentifier } from "../scans/resolve-scan.js";
import { verb } from "../verb.js";

const count = (description: string) => Type.Integer({ minimum: 0, description });

export const AnalysisProgressSchema = Type.Object(
  {
    scan_id: Type.Integer(),
    findings: count("Findings of the scan"),
    by_status: Type.Object({
      not_requested: count("Never asked for (below ANALYZE_MIN_SEVERITY, or analysis on ingest off)"),
      pending: count("Waiting for the worker"),
      processing: count("Being answered, or waiting for a retry"),
      completed: count("Analysed"),
      failed: count("Failed; llm_analysis_error says why"),
    }),
    questions: Type.Object({
      total: count("Distinct questions the requested findings ask the model"),
      answered: count("Questions with a stored answer"),
      repaired: count("Answered questions whose first answer needed the one repair turn"),
    }),
    eta_seconds: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description:
        "Seconds until every waiting question is answered at the recent answer rate; null when unknown",
    }),
  },
  { $id: "AnalysisProgress", title: "AnalysisProgress" },
);

export type AnalysisProgress = Static<typeof AnalysisProgressSchema>;

// Long enough to smooth over single slow answers, short enough to follow a model or server change.
const RATE_WINDOW_SECONDS = 15 * 60;

/** How far a scan's analysis has come, for a CI step that waits for it. */
export const getScanAnalysisProgress = verb(async function getScanAnalysisProgress(args: {
  ctx: ServiceContext;
  input: { scan: ScanIdentifier };
}): Promise<AnalysisProgress> {
  const { db } = args.ctx;
  const scan = await resolveScan(db, args.input.scan);
  const { byStatus, questions } = await countScanAnalysis(db, scan.id);
  let eta: number | null = 0;
  if (questions.waiting > 0) {
    const rate = await recentAnswerRate(db, RATE_WINDOW_SECONDS);
    eta = rate === null ? null : Math.ceil(questions.waiting / rate);
  }
  return {
    scan_id: scan.id,
    findings: Object.values(byStatus).reduce((sum, n) => sum + n, 0),
    by_status: byStatus,
    questions: { total: questions.total, answered: questions.answered, repaired: questions.repaired },
    eta_seconds: eta,
  };
});
