import { failureSummary, loadConfigOrExit, loggerOptions, openServiceContext } from "@vulntriage/core";
import closeWithGrace from "close-with-grace";
import { pino } from "pino";
import { buildApp } from "./app.js";

const config = loadConfigOrExit();
const log = pino(loggerOptions(config.logLevel));
const { ctx, close } = await openServiceContext(config, "api", log);

const app = await buildApp({
  ctx,
  maxReportBytes: config.maxReportBytes,
  loggerInstance: log,
  http: config.http,
});
app.addHook("onClose", close);

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) {
    app.log.error({ failure: failureSummary(err) }, "closing after an unexpected error");
    app.log.debug({ err }, "unexpected error details");
  } else app.log.info({ signal }, "shutting down");
  await app.close();
});

await app.listen({ host: config.host, port: config.port });
