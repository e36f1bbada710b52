import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createTestDatabase, type TestDatabase } from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiProcess, startApiProcess } from "./api-process.js";
import { compileStrict, createTestKey } from "./helpers.js";

// The README's client example, exactly as written there: compiled with `tsc --strict` against the
// built @vulntriage/client (as a user's program would see it), then run against the API.

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const FIXTURE = join(ROOT, "test/fixtures/trivy/defectdojo/misconfigurations_and_secrets.json");

/** The first ```ts block of `text` (a README, or one section of it). */
function firstTsBlock(text: string | undefined, where: string): string {
  const code = text && /^```ts\n([\s\S]*?)^```$/m.exec(text)?.[1];
  if (!code) throw new Error(`${where} has no \`\`\`ts block`);
  return code;
}

const clientExample = () =>
  firstTsBlock(
    readFileSync(join(ROOT, "README.md"), "utf8")
      .split(/^## Client$/m)[1]
      ?.split(/^## /m)[0],
    "README.md under ## Client",
  );
const packageExample = () =>
  firstTsBlock(readFileSync(join(ROOT, "packages/client/README.md"), "utf8"), "packages/client/README.md");

let api: ApiProcess;
let database: TestDatabase;
let token: string;
let directory: string;

beforeAll(async () => {
  // The compiled API as `npm start` runs it, keys required as in production.
  database = await createTestDatabase();
  token = await createTestKey(database, "readme", ["scans:write", "read"]);
  api = await startApiProcess(database.url, { AUTH_MODE: "required" });
  // Inside the repository, so `@vulntriage/client` resolves through its node_modules as for a user.
  mkdirSync(join(ROOT, "node_modules/.cache"), { recursive: true });
  directory = mkdtempSync(join(ROOT, "node_modules/.cache/readme-example-"));
});

afterAll(async () => {
  await api?.stop();
  await database?.drop();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

describe("the README's client example", () => {
  it("should compile the client package's own README example with tsc --strict", async () => {
    const source = join(directory, "package-example.mts");
    writeFileSync(source, packageExample());
    expect(await compileStrict(source, { cwd: ROOT })).toBe("");
  });

  it("should compile with tsc --strict against the built client and run against the API", async () => {
    expect(
      existsSync(join(ROOT, "packages/client/dist/index.d.ts")),
      "packages/client/dist is missing: run `npm run build` first",
    ).toBe(true);
    const source = join(directory, "example.mts");
    writeFileSync(source, clientExample());
    expect(await compileStrict(source, { cwd: ROOT, outDir: join(directory, "out") })).toBe("");

    const env = { ...process.env, VULNTRIAGE_URL: api.url, VULNTRIAGE_TOKEN: token };
    const first = await run(process.execPath, [join(directory, "out/example.mjs"), FIXTURE], {
      env,
      cwd: directory,
    });
    expect(first.stderr).toBe("");
    expect(first.stdout).toMatch(
      /^scan \d+: 2 findings \(new\); not stored: 1 misconfigurations, 2 secrets, 0 licenses\n/,
    );
    const again = await run(process.execPath, [join(directory, "out/example.mjs"), FIXTURE], {
      env,
      cwd: directory,
    });
    expect(again.stdout).toMatch(/^scan \d+: 2 findings \(already stored\);/);

    // Without a key the upload is refused, and the example says why.
    const refused = await run(process.execPath, [join(directory, "out/example.mjs"), FIXTURE], {
      env: { ...env, VULNTRIAGE_TOKEN: "" },
      cwd: directory,
    }).catch((error: { code: number; stderr: string }) => error);
    expect(refused).toMatchObject({ code: 1 });
    expect((refused as { stderr: string }).stderr).toMatch(/^refused: 401 unauthorized: /);
  });
});
