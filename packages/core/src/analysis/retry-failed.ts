import { requeueFailedQuestions } from "@vulntriage/db";
import { type Static, Type } from "typebox";
import { type ServiceContext, withTransaction } from "../context.js";
import { resolveScan } from "../scans/resolve-scan.js";
import { verb } from "../verb.js";

export const AnalysisRetryRequestSchema = Type.Object(
  {
    scan_id: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: Number.MAX_SAFE_INTEGER,
        description: "Only the failed questions of this scan",
      }),
    ),
    status: Type.Literal("failed", { description: "Which analyses to ask again: the failed ones" }),
  },
  { additionalProperties: false },
);

export const AnalysisRetrySchema = Type.Object(
  {
    questions: Type.Integer({ minimum: 0, description: "Distinct failed questions queued again" }),
    findings: Type.Integer({
      minimum: 0,
      description: "Findings back to pending: every failed finding of those questions, in any scan",
    }),
  },
  { $id: "AnalysisRetry", title: "AnalysisRetry" },
);

export type AnalysisRetry = Static<typeof AnalysisRetrySchema>;

/**
 * Asks failed questions again, in bulk: the only way besides a per-finding refresh, since a failed
 * question is never asked again on its own. Queued after the commit; without Redis the findings
 * stay pending and the worker's reconciler queues them.
 */
export const retryFailedAnalyses = verb(async function retryFailedAnalyses(args: {
  ctx: ServiceContext;
  input: { scanId?: number | undefined };
}): Promise<AnalysisRetry> {
  const { ctx, input } = args;
  if (input.scanId !== undefined) await resolveScan(ctx.db, { scanId: input.scanId });
  const requeued = await withTransaction(ctx, (tx) =>
    requeueFailedQuestions(tx, { scanId: input.scanId, promptConfig: ctx.analysis.configKey }),
  );
  try {
    for (const scanId of requeued.scansToPrepare) await ctx.queue?.preparedScan(scanId);
    await ctx.queue?.analyzePrompts(requeued.prompts);
  } catch (error) {
    ctx.log.warn({ err: (error as Error).message }, "could not enqueue the retried analyses; left pending");
  }
  return { questions: requeued.questions, findings: requeued.findings };
});
