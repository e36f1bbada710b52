import { parseArgs } from "node:util";
import {
  type ApiKeyDto,
  analysisSettings,
  ConfigError,
  createApiKey,
  DomainError,
  listApiKeys,
  loadConfig,
  revokeApiKey,
  SCOPES,
  silentLogger,
} from "@vulntriage/core";
import { createDatabase, ensureDatabase, migrateDatabase } from "@vulntriage/db";

// `npm run keys -- create|list|revoke`: API keys from the machine that runs the service, the way to
// make the first one. Node's own parseArgs: three subcommands and two flags need no library.
const USAGE = `usage:
  npm run keys -- create --name <name> --scopes <${SCOPES.join(",")}> [--expires-in 90d]
  npm run keys -- list
  npm run keys -- revoke <name | id>`;

class UsageError extends Error {}

function describe(key: ApiKeyDto): string {
  const state = key.revoked_at
    ? `revoked ${key.revoked_at}`
    : key.expires_at && Date.parse(key.expires_at) <= Date.now()
      ? `expired ${key.expires_at}`
      : `live${key.expires_at ? ` until ${key.expires_at}` : ""}`;
  return `${key.id}\t${key.name}\t${key.prefix}\t${key.scopes.join(",")}\t${state}\tlast used ${key.last_used_at ?? "never"}`;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      name: { type: "string" },
      scopes: { type: "string" },
      "expires-in": { type: "string" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (command !== "create" && command !== "list" && command !== "revoke") throw new UsageError(USAGE);

  const config = loadConfig();
  await ensureDatabase(config.databaseUrl);
  const database = createDatabase(config.databaseUrl, {
    maxConnections: 2, // migrating holds one for its lock
    applicationName: "vulntriage-keys",
  });
  try {
    await migrateDatabase(database);
    const ctx = {
      db: database.db,
      analysis: analysisSettings({
        model: config.ollamaModel,
        analyzeOnIngest: false,
        analyzeMinSeverity: "UNKNOWN",
      }),
      log: silentLogger,
    };
    if (command === "create") {
      if (!values.name || !values.scopes || positionals.length > 0) throw new UsageError(USAGE);
      const { key, token } = await createApiKey({
        ctx,
        input: {
          name: values.name,
          scopes: values.scopes
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean),
          expiresIn: values["expires-in"],
        },
      });
      console.log(`created ${describe(key)}`);
      console.log("the token is shown once, on the next line; store it as a secret:");
      // The token's one appearance: stdout, last line, never a log.
      console.log(token);
    } else if (command === "list") {
      if (positionals.length > 0) throw new UsageError(USAGE);
      const keys = await listApiKeys({ ctx });
      console.log(keys.length === 0 ? "no API keys" : keys.map(describe).join("\n"));
    } else {
      if (positionals.length !== 1) throw new UsageError(USAGE);
      const key = await revokeApiKey({ ctx, input: { idOrName: positionals[0] as string } });
      console.log(`revoked ${describe(key)}`);
    }
  } finally {
    await database.close();
  }
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
    console.error(error instanceof UsageError ? error.message : `${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  console.error(
    error instanceof ConfigError || error instanceof DomainError
      ? error.message
      : `keys: ${(error as Error).message}`,
  );
  process.exit(1);
}
