import { readFile } from "node:fs/promises";
import { ApiError, type Client, createClient, NetworkError, type Severity } from "./api.js";
import { type OutputFormat, renderAnalysis, renderFindings, renderScans, renderUpload } from "./format.js";
import { evaluateGates, type Gates, hasGate } from "./gates.js";
import { WaitTimeoutError, waitForAnalysis } from "./wait.js";

export const EXIT = { passed: 0, gateFailed: 1, usage: 2, error: 3 } as const;

type Connection = { url: string; token?: string | undefined; output: OutputFormat };

type UploadOptions = Connection & {
  image?: string | undefined;
  gzip: boolean;
  wait: boolean;
  timeout: number;
  failOn?: Severity | undefined;
  failOnRisk?: number | undefined;
  failOnKev?: boolean | undefined;
  ignoreUnfixed?: boolean | undefined;
};
type ScansOptions = Connection & { limit: number; offset: number };
type FindingsOptions = Connection & { severity?: Severity[] | undefined };
type AnalysisOptions = Connection & { refresh?: boolean | undefined };

/** What each command does once commander has parsed it; answers the exit code. */
export type Actions = {
  upload: (report: string, options: UploadOptions) => Promise<number>;
  scans: (options: ScansOptions) => Promise<number>;
  findings: (identifier: string, options: FindingsOptions) => Promise<number>;
  analysis: (findingId: number, options: AnalysisOptions) => Promise<number>;
};

type Io = { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream };

/** http:// to anything but this machine: the token would cross a network unencrypted. */
function plaintextRemote(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol !== "http:") return false;
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return !(
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host === "::1" ||
    /^127\.\d+\.\d+\.\d+$/.test(host)
  );
}

/** A mistake in how the command was called that commander cannot see (an unreadable file). */
class UsageError extends Error {}

export function createActions(io: Io): Actions {
  const say = (text: string) => io.stderr.write(`${text}\n`);
  let warned = false;
  const client = (options: Connection, deadline?: number): Client => {
    if (!warned && options.token && plaintextRemote(options.url)) {
      warned = true;
      say(`warning: the API key goes to ${options.url} over plain HTTP, readable on the way; use https://`);
    }
    return createClient({
      url: options.url,
      token: options.token,
      deadline,
      onRetryWait: (seconds, status) =>
        say(`the server answered ${status}; waiting ${seconds}s as its Retry-After asks, then trying again`),
    });
  };

  async function guarded(run: () => Promise<number>): Promise<number> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof UsageError) {
        say(`error: ${error.message}`);
        return EXIT.usage;
      }
      if (error instanceof ApiError) {
        say(`error: the server answered ${error.status} (${error.code}): ${error.message}`);
        return EXIT.error;
      }
      if (error instanceof NetworkError || error instanceof WaitTimeoutError) {
        say(`error: ${error.message}`);
        return EXIT.error;
      }
      throw error;
    }
  }

  async function readReport(path: string): Promise<Buffer> {
    if (path === "-") {
      if (io.stdin.isTTY) throw new UsageError("`-` reads the report from stdin, but stdin is a terminal");
      const chunks: Buffer[] = [];
      for await (const chunk of io.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    }
    try {
      return await readFile(path);
    } catch (error) {
      throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }

  return {
    upload: (report, options) =>
      guarded(async () => {
        const deadline = Date.now() + options.timeout;
        const api = client(options, deadline);
        const body = await readReport(report);
        const uploaded = await api.uploadReport(body, { imageName: options.image, gzip: options.gzip });
        const { scan } = uploaded;
        say(
          uploaded.duplicate
            ? `already uploaded: scan ${scan.id} (${scan.image_name ?? "no image name"}), ${scan.finding_count} findings`
            : `uploaded as scan ${scan.id} (${scan.image_name ?? "no image name"}), ${scan.finding_count} findings`,
        );
        const analysis = options.wait ? await waitForAnalysis(api, scan.id, deadline, io.stderr) : null;
        const gates: Gates = {
          failOn: options.failOn,
          failOnRisk: options.failOnRisk,
          failOnKev: options.failOnKev,
          ignoreUnfixed: options.ignoreUnfixed,
        };
        let result = null;
        if (hasGate(gates)) {
          if (!options.wait && options.failOnRisk !== undefined) {
            say(
              "note: without --wait, --fail-on-risk sees the risk scores as they are right after upload " +
                "(KEV and EPSS may not be fetched yet, so they can still change)",
            );
          }
          result = evaluateGates(await api.allFindings(String(scan.id)), gates);
          if (result.unknownKev > 0) {
            say(
              `note: the KEV status of ${result.unknownKev} findings is not known (not checked yet, or enrichment is offline)`,
            );
          }
        }
        io.stdout.write(
          renderUpload(
            {
              scan,
              duplicate: uploaded.duplicate,
              findingsIngested: uploaded.findings_ingested,
              analysis,
              gates,
              result,
            },
            options.output,
          ),
        );
        return result && !result.passed ? EXIT.gateFailed : EXIT.passed;
      }),

    scans: (options) =>
      guarded(async () => {
        const page = await client(options).listScans({ limit: options.limit, offset: options.offset });
        io.stdout.write(renderScans(page, options.output));
        return EXIT.passed;
      }),

    findings: (identifier, options) =>
      guarded(async () => {
        const findings = await client(options).allFindings(identifier, { severities: options.severity });
        io.stdout.write(renderFindings(findings, options.output));
        return EXIT.passed;
      }),

    analysis: (findingId, options) =>
      guarded(async () => {
        const answer = await client(options).analyzeFinding(findingId, options.refresh === true);
        io.stdout.write(renderAnalysis(answer, options.output));
        return EXIT.passed;
      }),
  };
}
