import { readFileSync } from "node:fs";
import { REPO_ROOT } from "@vulntriage/test-utils";
import { CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { Actions } from "../src/commands.js";
import { buildProgram } from "../src/program.js";

// Every `vulntriage …` line in the CI examples goes through the CLI's own parser: a flag that does
// not exist, or a bad value, fails here before it fails someone's pipeline.
const EXAMPLES = ["examples/ci/github-actions.yml", "examples/ci/gitlab-ci.yml"];
/** Keys whose strings are shell: GitHub's `run`, GitLab's scripts. */
const SHELL_KEYS = new Set(["run", "script", "before_script", "after_script"]);

function shellStrings(node: unknown, underShell = false): string[] {
  if (typeof node === "string") return underShell ? [node] : [];
  if (Array.isArray(node)) return node.flatMap((item) => shellStrings(item, underShell));
  if (node && typeof node === "object") {
    return Object.entries(node).flatMap(([key, value]) => shellStrings(value, SHELL_KEYS.has(key)));
  }
  return [];
}

/** Shell words up to the first unquoted redirection, pipe, list operator or comment. */
function words(line: string): string[] {
  const out: string[] = [];
  let current: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unterminated quote in: ${line}`);
      current = (current ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (c === "\\" && i + 1 < line.length) {
      current = (current ?? "") + line[++i];
    } else if (/\s/.test(c)) {
      if (current !== null) out.push(current);
      current = null;
    } else if (/[<>|;&#]/.test(c) && current === null) {
      break;
    } else if (/[<>|;&]/.test(c)) {
      // `2>&1`: the digits belong to the redirection.
      if (!(/^\d+$/.test(current as string) && c === ">")) out.push(current as string);
      return out;
    } else {
      current = (current ?? "") + c;
    }
  }
  if (current !== null) out.push(current);
  return out;
}

/** The arguments after `vulntriage` of every command line in a YAML document's shell strings. */
function vulntriageCommands(yamlText: string): string[][] {
  const commands: string[][] = [];
  for (const script of shellStrings(parse(yamlText))) {
    for (const line of script.replace(/\\\n/g, " ").split("\n")) {
      const at = /(?:^|[\s;&|(])vulntriage\s/.exec(line);
      if (!at) continue;
      const tokens = words(line.slice(at.index));
      const start = tokens.indexOf("vulntriage");
      commands.push(tokens.slice(start + 1));
    }
  }
  return commands;
}

type Parsed = { command: string; args: unknown[] };

async function parseCommand(args: string[]): Promise<Parsed> {
  let parsed: Parsed | undefined;
  const record =
    (command: string) =>
    async (...callArgs: unknown[]) => {
      parsed = { command, args: callArgs };
      return 0;
    };
  const actions: Actions = {
    upload: record("upload"),
    scans: record("scans"),
    findings: record("findings"),
    analysis: record("analysis"),
  };
  const errors: string[] = [];
  const program = buildProgram(actions, { writeOut: () => {}, writeErr: (text) => errors.push(text) });
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) throw new Error(`vulntriage ${args.join(" ")}: ${errors.join("")}`);
    throw error;
  }
  if (!parsed) throw new Error(`vulntriage ${args.join(" ")}: ran no command`);
  return parsed;
}

describe("the CI examples", () => {
  for (const file of EXAMPLES) {
    it(`should hold only vulntriage commands the CLI accepts: ${file}`, async () => {
      const commands = vulntriageCommands(readFileSync(`${REPO_ROOT}${file}`, "utf8"));
      expect(commands.length).toBeGreaterThan(0);
      const parsed = await Promise.all(commands.map(parseCommand));
      // The gate the examples promise: wait, fail on CRITICAL, a Markdown comment.
      expect(parsed).toContainEqual({
        command: "upload",
        args: [
          "report.json",
          expect.objectContaining({ wait: true, failOn: "CRITICAL", output: "markdown" }),
        ],
      });
    });
  }

  it("should catch an invalid flag or value in an example", async () => {
    const broken = (flag: string) =>
      `jobs:\n  a:\n    steps:\n      - run: npx vulntriage upload report.json ${flag} > comment.md\n`;
    expect(vulntriageCommands(broken("--fail-on critical"))).toEqual([
      ["upload", "report.json", "--fail-on", "critical"],
    ]);
    await expect(
      Promise.all(vulntriageCommands(broken("--fail-on critical")).map(parseCommand)),
    ).resolves.toHaveLength(1);
    await expect(
      parseCommand(vulntriageCommands(broken("--fail-on-critical"))[0] as string[]),
    ).rejects.toThrow(/unknown option '--fail-on-critical'/);
    await expect(
      parseCommand(vulntriageCommands(broken("--timeout 20 minutes"))[0] as string[]),
    ).rejects.toThrow(/too many arguments|unknown command/);
    await expect(parseCommand(vulntriageCommands(broken("--output html"))[0] as string[])).rejects.toThrow(
      /Allowed choices are table, json, markdown/,
    );
  });

  it("should keep quoted words whole and stop at redirections", () => {
    const yamlText = `script:\n  - npx vulntriage findings "ghcr.io/acme/app:1 x" --severity 'critical,high' 2>&1 | tee out\n`;
    expect(vulntriageCommands(yamlText)).toEqual([
      ["findings", "ghcr.io/acme/app:1 x", "--severity", "critical,high"],
    ]);
  });
});
