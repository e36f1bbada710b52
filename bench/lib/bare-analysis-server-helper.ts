// Child-process entry: the baseline for the cached analyze GET. A bare Fastify route doing one
// prepared primary-key SELECT of the columns the analyze endpoint answers from, through pg with
// the API's pool size, and returning the row as JSON. No validation, no schemas, no freshness check.
import Fastify from "fastify";
import pg from "pg";

const pool = new pg.Pool({
  connectionString: process.env.BARE_DATABASE_URL,
  max: Number(process.env.BARE_POOL_SIZE ?? 10),
});
pool.on("error", () => {});
const app = Fastify({ logger: false });
app.get<{ Params: { finding_id: string } }>(
  "/api/llm/analyze/container/:finding_id",
  async (request, reply) => {
    const result = await pool.query({
      name: "analysis-state",
      text: `select id, llm_analysis_status as status, llm_prompt_hash as prompt_hash,
      llm_prompt_config as prompt_config, llm_analysis_prompt_hash as analysis_prompt_hash,
      llm_analysis_summary as summary, llm_analysis_recommendations as recommendations,
      llm_analysis_risk_score as risk_score, llm_analysis_timestamp as analyzed_at,
      llm_analysis_error as error
    from container_findings where id = $1`,
      values: [Number(request.params.finding_id)],
    });
    const row = result.rows[0];
    if (!row) return reply.status(404).send({ error: "not found" });
    return row;
  },
);
await app.listen({ host: "127.0.0.1", port: Number(process.env.BARE_PORT) });
const stop = () => {
  void app
    .close()
    .then(() => pool.end())
    .finally(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("disconnect", stop);
process.send?.({ url: `http://127.0.0.1:${process.env.BARE_PORT}` });
