// The analysis worker arrives with the LLM analysis issue; until then it only checks its configuration
// and exits cleanly, so `npm start` runs the API alone without failing.
import { ConfigError, loadConfig } from "@vulntriage/core";

try {
  loadConfig();
  console.log("worker: no background jobs yet; exiting");
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
