import { readFileSync } from "node:fs";
import { Argument, Command, Option, type OutputConfiguration } from "commander";
import type { Actions } from "./commands.js";
import { OUTPUT_FORMATS } from "./format.js";
import {
  parseDuration,
  parseNonNegativeInteger,
  parsePositiveInteger,
  parseRiskScore,
  parseSeverity,
  parseSeverityList,
  parseUrl,
} from "./parse-options.js";

const DEFAULT_URL = "http://127.0.0.1:3000";

const EXIT_CODES_HELP = `
Exit codes:
  0  passed (no gate, or no finding fails it)
  1  a gate failed: the failing findings are printed
  2  usage error (unknown flag, bad value, unreadable report file)
  3  server, network or timeout error (the server's message is shown)

Environment:
  VULNTRIAGE_URL    the API's base URL (default ${DEFAULT_URL})
  VULNTRIAGE_TOKEN  API key, sent as "Authorization: Bearer <token>"`;

function version(): string {
  // package.json sits one level above both src/ and dist/.
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

function withConnection(command: Command): Command {
  return command
    .addOption(
      new Option("--url <url>", "the vulntriage API's base URL")
        .env("VULNTRIAGE_URL")
        .default(DEFAULT_URL)
        .argParser(parseUrl),
    )
    .addOption(
      new Option(
        "--token <token>",
        'API key, sent as "Authorization: Bearer <token>" (prefer the env variable)',
      ).env("VULNTRIAGE_TOKEN"),
    )
    .addOption(
      new Option("-o, --output <format>", "how to print the result").choices(OUTPUT_FORMATS).default("table"),
    );
}

/**
 * The whole command line, without running anything: `actions` do the work. Errors throw
 * CommanderError (exitOverride) instead of exiting, so the caller picks the exit code and a test
 * can check a command line against the real parser.
 */
export function buildProgram(actions: Actions, output?: OutputConfiguration): Command {
  const program = new Command("vulntriage")
    .description("Upload Trivy reports to vulntriage, wait for the analysis and gate a CI build on it.")
    .version(version())
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", EXIT_CODES_HELP);
  if (output) program.configureOutput(output);

  withConnection(
    program
      .command("upload")
      .description("upload a `trivy image -f json` report; optionally wait for its analysis and apply gates")
      .addArgument(new Argument("<report>", "the report file, or - to read it from stdin")),
  )
    .option("--image <name>", "file the scan under this image name (overrides the report's ArtifactName)")
    .option("--no-gzip", "send the report uncompressed (default: gzip)")
    .option("--wait", "wait until every requested analysis is completed or failed")
    .addOption(
      new Option("--timeout <duration>", "give up after this long (upload and wait): 90s, 10m, 1h")
        .argParser(parseDuration)
        .default(30 * 60_000, "30m"),
    )
    .addOption(
      new Option(
        "--fail-on <severity>",
        "fail on findings of this severity or above (CRITICAL>HIGH>MEDIUM>LOW>UNKNOWN)",
      ).argParser(parseSeverity),
    )
    .addOption(
      new Option(
        "--fail-on-risk <score>",
        "fail on findings whose risk score (1-10; the LLM's until a computed one exists) is at least this",
      ).argParser(parseRiskScore),
    )
    .option("--fail-on-kev", "fail on findings in CISA's Known Exploited Vulnerabilities catalogue")
    .option("--ignore-unfixed", "leave findings without a fixed version out of every gate")
    .action((report: string, options) => actions.upload(report, options).then(setExitCode));

  withConnection(program.command("scans").description("list scans, newest first"))
    .addOption(new Option("--limit <n>", "how many (1-500)").argParser(parsePositiveInteger).default(20))
    .addOption(new Option("--offset <n>", "skip this many").argParser(parseNonNegativeInteger).default(0))
    .action((options) => actions.scans(options).then(setExitCode));

  withConnection(
    program
      .command("findings")
      .description("list the findings of a scan, most severe first")
      .addArgument(new Argument("<scan>", "a scan id, or an image name (its latest scan)")),
  )
    .addOption(
      new Option("--severity <list>", "only these severities, comma-separated (critical,high)").argParser(
        parseSeverityList,
      ),
    )
    .action((identifier: string, options) => actions.findings(identifier, options).then(setExitCode));

  withConnection(
    program
      .command("analysis")
      .description("show the LLM analysis of a finding (queues it when it was never asked)")
      .addArgument(new Argument("<finding-id>", "the finding's numeric id").argParser(parsePositiveInteger)),
  )
    .option("--refresh", "ask the model again (needs the analysis:write scope)")
    .action((findingId: number, options) => actions.analysis(findingId, options).then(setExitCode));

  return program;
}

function setExitCode(code: number): void {
  process.exitCode = code;
}
