import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./helpers.js";

// The compiled `npm run keys` against the database the API reads, as an operator runs it.
const CLI = fileURLToPath(new URL("../dist/keys-cli.js", import.meta.url));
const run = promisify(execFile);

let api: TestApi;
async function keys(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH, DATABASE_URL: api.database.url },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

beforeAll(async () => {
  api = await startTestApi({ access: { authMode: "required" }, authCacheMs: 0 });
});
afterAll(async () => {
  await api?.close();
});

describe("npm run keys", () => {
  it("creates a key whose token is the last line of its output, and works against the API", async () => {
    const created = await keys(
      "create",
      "--name",
      "ci",
      "--scopes",
      "scans:write,read",
      "--expires-in",
      "90d",
    );
    expect(created.code).toBe(0);
    const token = created.stdout.trim().split("\n").at(-1) as string;
    expect(token).toMatch(/^vt_[0-9a-f]{16}_[0-9a-f]{48}$/);
    // Nowhere else: not on stderr, and only once on stdout.
    expect(created.stderr).not.toContain(token.slice(-48));
    expect(created.stdout.split(token.slice(-48)).length).toBe(2);
    const scans = await fetch(`${api.url}/api/container/scans`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(scans.status).toBe(200);
    const keysRoute = await fetch(`${api.url}/api/keys`, { headers: { authorization: `Bearer ${token}` } });
    expect(keysRoute.status).toBe(403);

    const listed = await keys("list");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/\tci\tvt_[0-9a-f]{16}\tscans:write,read\tlive until /);
    expect(listed.stdout).not.toContain(token.slice(-48));

    const revoked = await keys("revoke", "ci");
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/^revoked \d+\tci/);
    expect((await fetch(`${api.url}/api/container/scans`, { headers: { "x-api-key": token } })).status).toBe(
      401,
    );
  });

  it("exits 1 with the reason for a refused key, and 2 with the usage for a bad command line", async () => {
    await keys("create", "--name", "twice", "--scopes", "read");
    const again = await keys("create", "--name", "twice", "--scopes", "read");
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already named "twice"/);
    const bad = await keys("create", "--name", "x", "--scopes", "root");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/unknown: root/);
    expect((await keys("revoke", "nobody")).code).toBe(1);
    for (const args of [["frobnicate"], ["create", "--name", "x"], ["create", "--bogus"], ["revoke"]]) {
      const usage = await keys(...args);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toMatch(/usage:/);
    }
  });
});
