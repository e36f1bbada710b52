import {
  readTrivyFixture,
  startStubEpss,
  startStubKev,
  startStubNvd,
  startStubOsv,
} from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliStack, report, runCli, runCliOnTerminal, startCliStack } from "./helpers.js";

// The built CLI against the compiled API and worker, with online enrichment from local KEV, EPSS,
// NVD and OSV stubs (CVE-2022-22965, Spring4Shell, is in the stub's KEV catalogue).
let stack: CliStack;
let stubs: { close: () => Promise<void> }[] = [];
let env: Record<string, string>;

beforeAll(async () => {
  const [kev, epss, nvd, osv] = await Promise.all([
    startStubKev(),
    startStubEpss(),
    startStubNvd(),
    startStubOsv(),
  ]);
  stubs = [kev, epss, nvd, osv];
  stack = await startCliStack({
    ENRICHMENT: "online",
    KEV_URL: kev.feedUrl,
    EPSS_API_URL: epss.endpoint,
    NVD_API_URL: nvd.endpoint,
    OSV_API_URL: osv.apiRoot,
    // Questions wait for KEV and EPSS, so a finished analysis has its exploitation data.
    ENRICHMENT_WAIT_MS: "20000",
  });
  env = { VULNTRIAGE_URL: stack.url };
});

afterAll(async () => {
  await stack?.close();
  await Promise.all(stubs.map((s) => s.close()));
});

const fixture = (name: string) => readTrivyFixture(name);
const DEBIAN = "trivy/main/debian-buster.json.golden"; // CVE-2019-18224 CRITICAL fixed, CVE-2019-18276 LOW unfixed
const SPRING = "trivy/main/spring4shell-jre11.json.golden"; // CVE-2022-22965 CRITICAL, KEV-listed

async function findingsOf(scanId: number): Promise<any[]> {
  const page = (await (
    await fetch(`${stack.url}/api/container/scans/${scanId}/findings?limit=1000`)
  ).json()) as any;
  return page.items;
}

describe("vulntriage upload", () => {
  it("should wait for the analysis, fail on critical, print the failing finding and the progress", async () => {
    const result = await runCli(
      ["upload", "-", "--image", "gate/debian:10", "--wait", "--fail-on", "critical"],
      {
        env,
        stdin: fixture(DEBIAN),
      },
    );
    expect(result.stderr).toMatch(/uploaded as scan \d+ \(gate\/debian:10\), 2 findings/);
    // Not a terminal: plain progress lines, the last one saying everything is done.
    expect(result.stderr).toMatch(/analysis of scan \d+: 2\/2 done \(0 pending, 0 processing, 0 failed\)/);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("FAILED: 1 of 2 findings fail the gate (severity ≥ CRITICAL)");
    expect(result.stdout).toContain("CVE-2019-18224");
    expect(result.stdout).not.toContain("CVE-2019-18276");
    // Analysed: the LLM column shows the model's score, not a status.
    expect(result.stdout).toMatch(/CVE-2019-18224.*│ 5 +│ severity CRITICAL/);
  });

  it("should answer the stored scan for a duplicate, with every gate in JSON", async () => {
    const result = await runCli(
      ["upload", "-", "--image", "gate/debian:10", "--fail-on", "LOW", "--output", "json"],
      { env, stdin: fixture(DEBIAN) },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/already uploaded: scan \d+/);
    const out = JSON.parse(result.stdout);
    expect(out.duplicate).toBe(true);
    expect(out.gate).toMatchObject({ passed: false, failing_count: 2, evaluated: 2, skipped_unfixed: 0 });
    expect(out.failing.map((f: any) => [f.vulnerability_id, f.gate_reasons])).toEqual([
      ["CVE-2019-18224", ["severity CRITICAL"]],
      ["CVE-2019-18276", ["severity LOW"]],
    ]);
  });

  it("should leave findings without a fixed version out with --ignore-unfixed", async () => {
    const result = await runCli(
      ["upload", "-", "--image", "gate/debian:10", "--fail-on", "low", "--ignore-unfixed", "-o", "json"],
      { env, stdin: fixture(DEBIAN) },
    );
    expect(result.code).toBe(1);
    const out = JSON.parse(result.stdout);
    expect(out.gate).toMatchObject({ failing_count: 1, evaluated: 1, skipped_unfixed: 1 });
    expect(out.failing[0].vulnerability_id).toBe("CVE-2019-18224");
  });

  it("should pass a gate nothing reaches, and with no gate at all", async () => {
    const low = report("gate/low-only:1", [{ id: "CVE-2026-1001", pkg: "lowpkg", severity: "LOW" }]);
    const passed = await runCli(["upload", "-", "--fail-on", "high"], { env, stdin: low });
    expect(passed.code).toBe(0);
    expect(passed.stdout).toContain("passed: no finding fails the gate (severity ≥ HIGH)");
    const ungated = await runCli(["upload", "-"], { env, stdin: low });
    expect(ungated.code).toBe(0);
    expect(ungated.stdout).toContain("no gate set");
  });

  it("should fail on KEV-listed findings once enrichment has answered", async () => {
    const spring = await runCli(["upload", "-", "--wait", "--fail-on-kev", "-o", "json"], {
      env,
      stdin: fixture(SPRING),
    });
    expect(spring.code).toBe(1);
    const out = JSON.parse(spring.stdout);
    expect(out.failing.map((f: any) => [f.vulnerability_id, f.gate_reasons])).toEqual([
      ["CVE-2022-22965", ["KEV"]],
    ]);
    expect(out.failing[0].exploitation.kev_listed).toBe(true);

    const debian = await runCli(["upload", "-", "--image", "kev/debian:10", "--wait", "--fail-on-kev"], {
      env,
      stdin: fixture(DEBIAN),
    });
    expect(debian.code).toBe(0);
    expect(debian.stdout).toContain("passed: no finding fails the gate (KEV-listed)");
  });

  it("should fail on the computed risk score at or above the threshold, and combine gates", async () => {
    const body = report("gate/risk:1", [
      { id: "CVE-2026-2001", pkg: "crit-llm9", severity: "CRITICAL", cvss: 9.8 },
      { id: "CVE-2026-2002", pkg: "mid-llm2", severity: "MEDIUM", cvss: 5.0 },
      { id: "CVE-2026-2003", pkg: "low-llm3", severity: "LOW", cvss: 2.0, fixed: null },
    ]);
    const first = await runCli(["upload", "-", "--wait", "-o", "json"], { env, stdin: body });
    expect(first.code).toBe(0);
    const scanId = JSON.parse(first.stdout).scan.id;
    const risks = new Map((await findingsOf(scanId)).map((f) => [f.pkg_name, f.risk.score as number]));
    const critical = risks.get("crit-llm9") as number;
    expect(critical).toBeGreaterThan(risks.get("mid-llm2") as number);

    const atCritical = await runCli(
      ["upload", "-", "--wait", "--fail-on-risk", String(critical), "-o", "json"],
      {
        env,
        stdin: body,
      },
    );
    expect(atCritical.code).toBe(1);
    expect(JSON.parse(atCritical.stdout).failing.map((f: any) => f.gate_reasons)).toEqual([
      [`risk ${critical}`],
    ]);
    if (critical < 10) {
      const above = await runCli(["upload", "-", "--wait", "--fail-on-risk", String(critical + 1)], {
        env,
        stdin: body,
      });
      expect(above.code).toBe(0);
    }

    // A finding fails when any gate matches it; each names the gates it failed.
    const combined = await runCli(
      [
        "upload",
        "-",
        "--fail-on",
        "low",
        "--fail-on-risk",
        String(critical),
        "--ignore-unfixed",
        "-o",
        "json",
      ],
      { env, stdin: body },
    );
    expect(combined.code).toBe(1);
    expect(combined.stderr).toContain("without --wait, --fail-on-risk sees the risk scores as they are");
    expect(JSON.parse(combined.stdout).failing.map((f: any) => [f.pkg_name, f.gate_reasons])).toEqual([
      ["crit-llm9", ["severity CRITICAL", `risk ${critical}`]],
      ["mid-llm2", ["severity MEDIUM"]],
    ]);
  });

  it("should read a report file, send it uncompressed with --no-gzip, and print a Markdown PR comment", async () => {
    const path = `${process.env.TMPDIR ?? "/tmp"}/vt-cli-photon-${process.pid}.json`;
    const { writeFile, rm } = await import("node:fs/promises");
    await writeFile(path, fixture("trivy/main/photon-30.json.golden"));
    try {
      const result = await runCli(
        [
          "upload",
          path,
          "--image",
          "ghcr.io/acme/photon:3|x",
          "--no-gzip",
          "--wait",
          "--fail-on",
          "high",
          "--output",
          "markdown",
        ],
        { env },
      );
      expect(result.code).toBe(1);
      const lines = result.stdout.split("\n");
      expect(lines[0]).toBe("<!-- vulntriage -->");
      expect(lines[1]).toBe("### ❌ vulntriage: 3 findings fail the gate");
      // The image name is untrusted text: a pipe cannot break the table.
      expect(lines[3]).toMatch(
        /^\*\*ghcr\.io\/acme\/photon:3\\\|x\*\* · scan \d+ · 3 findings: 2 critical, 1 high, 0 medium, 0 low, 0 unknown · gate: severity ≥ HIGH$/,
      );
      expect(lines[5]).toBe(
        "| Severity | Vulnerability | Package | Installed | Fixed | Risk | KEV | LLM summary | Failed on |",
      );
      expect(result.stdout).toMatch(/\| CRITICAL \| \[CVE-2019-5481\]\(https:\/\/[^)]+\) \| curl \|/);
      expect(result.stdout).toContain("| A flaw in the package. | severity CRITICAL |");
      expect(lines.filter((l) => l.startsWith("| CRITICAL") || l.startsWith("| HIGH"))).toHaveLength(3);
    } finally {
      await rm(path, { force: true });
    }
  });

  it("should draw a progress bar and a table on a terminal", async () => {
    const path = `${process.env.TMPDIR ?? "/tmp"}/vt-cli-tty-${process.pid}.json`;
    const { writeFile, rm } = await import("node:fs/promises");
    await writeFile(
      path,
      report("tty/app:1", [
        { id: "CVE-2026-4001", pkg: "tty-one", severity: "CRITICAL" },
        { id: "CVE-2026-4002", pkg: "tty-two", severity: "HIGH" },
      ]),
    );
    try {
      const result = await runCliOnTerminal(["upload", path, "--wait", "--fail-on", "high"], env);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(
        /analysis \|[\u2588\u2591]+\| 2\/2 · 0 pending · 0 processing · 0 failed/,
      );
      expect(result.stdout).not.toContain("analysis of scan");
      expect(result.stdout).toContain("FAILED: 2 of 2 findings fail the gate (severity ≥ HIGH)");
      expect(result.stdout).toMatch(/│ CVE-2026-4001 +│ tty-one/);
    } finally {
      await rm(path, { force: true });
    }
  });

  it("should wait through a 182-finding real report with progress lines and gate it", async () => {
    const result = await runCli(
      ["upload", "-", "--wait", "--timeout", "2m", "--fail-on", "CRITICAL", "-o", "json"],
      { env, stdin: fixture("securecodebox/main/juice-shop-v12.10.2.json"), timeoutMs: 150_000 },
    );
    expect(result.code).toBe(1);
    const out = JSON.parse(result.stdout);
    expect(out.analysis.by_status).toMatchObject({ pending: 0, processing: 0 });
    expect(out.analysis.by_status.completed + out.analysis.by_status.failed).toBe(out.scan.finding_count);
    expect(out.failing.length).toBe(out.scan.critical_count);
    expect(out.failing.every((f: any) => f.severity === "CRITICAL")).toBe(true);
    const lines = result.stderr.split("\n").filter((l) => l.startsWith("analysis of scan"));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.at(-1)).toMatch(/: (\d+)\/\1 done \(0 pending, 0 processing/);
  }, 180_000);

  it("should show the server's message and exit 3 for a body that is not a Trivy report", async () => {
    const result = await runCli(["upload", "-", "--fail-on", "critical"], {
      env,
      stdin: JSON.stringify({ hello: "world" }),
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^error: the server answered 422 \(\w+\): .+/m);
    expect(result.stdout).toBe("");
  });
});

describe("vulntriage scans, findings and analysis", () => {
  it("should list scans, findings by image name or id, and show an analysis", async () => {
    const scans = await runCli(["scans", "-o", "json", "--limit", "100"], { env });
    expect(scans.code).toBe(0);
    const page = JSON.parse(scans.stdout);
    const debian = page.items.find((s: any) => s.image_name === "gate/debian:10");
    expect(debian).toBeDefined();

    const table = await runCli(["scans"], { env });
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("gate/debian:10");

    const byName = await runCli(["findings", "gate/debian:10", "--severity", "critical", "-o", "json"], {
      env,
    });
    expect(byName.code).toBe(0);
    const findings = JSON.parse(byName.stdout);
    expect(findings.map((f: any) => f.vulnerability_id)).toEqual(["CVE-2019-18224"]);
    const byId = await runCli(["findings", String(debian.id)], { env });
    expect(byId.stdout).toContain("CVE-2019-18224");
    expect(byId.stdout).toContain("CVE-2019-18276");

    const analysis = await runCli(["analysis", String(findings[0].id)], { env });
    expect(analysis.code).toBe(0);
    expect(analysis.stdout).toContain(`Finding ${findings[0].id}: completed`);
    expect(analysis.stdout).toContain("A flaw in the package.");
    expect(analysis.stdout).toContain("1. Upgrade to the fixed version.");
    const markdown = await runCli(["analysis", String(findings[0].id), "-o", "markdown"], { env });
    expect(markdown.stdout).toContain("### Summary");
  });

  it("should answer 404s with the server's message and exit 3", async () => {
    const missing = await runCli(["findings", "no/such:image"], { env });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/error: the server answered 404/);
    const analysis = await runCli(["analysis", "999999999"], { env });
    expect(analysis.code).toBe(3);
    expect(analysis.stderr).toMatch(/error: the server answered 404/);
  });
});
