import {
  badLlmAnswers,
  type FakeOllama,
  ghsaVuln,
  kevEntry,
  type StubEpss,
  type StubKev,
  type StubNvd,
  type StubOsv,
  startFakeOllama,
  startStubEpss,
  startStubKev,
  startStubNvd,
  startStubOsv,
} from "@vulntriage/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  getJson,
  type Stack,
  spawnApiProcess,
  spawnWorkerProcess,
  startStack,
  trivyReport,
  uploadReport,
  userMessageOf,
  type WorkerProcess,
  waitFor,
} from "./helpers.js";

const BAD = (badLlmAnswers.find((b) => b.id === "score-out-of-range") as { answer: string }).answer;

// This release's features through the compiled API and worker as `npm start` runs them: advisory
// questions, two Ollama servers, an outage, the bulk retry, and online enrichment against the
// local KEV, EPSS, NVD and OSV stubs.
describe("the compiled processes: advisory questions, servers, outages, retry, enrichment", () => {
  let stack: Stack;
  let second: FakeOllama;
  let kev: StubKev;
  let epss: StubEpss;
  let nvd: StubNvd;
  let osv: StubOsv;
  let api: WorkerProcess;
  let worker: WorkerProcess;
  let url: string;

  beforeAll(async () => {
    stack = await startStack({ startWorker: false, startEnrichment: false });
    [second, kev, epss, nvd, osv] = await Promise.all([
      startFakeOllama(),
      startStubKev({ entries: [kevEntry("CVE-2024-9300", { knownRansomwareCampaignUse: "Known" })] }),
      startStubEpss({ scores: { "CVE-2024-9300": { epss: 0.72, percentile: 0.99 } } }),
      startStubNvd(),
      startStubOsv({ vulns: [ghsaVuln("GHSA-e2e0-aaaa-bbbb", "CVE-2024-9300")] }),
    ]);
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    url = `http://127.0.0.1:${port}`;
    api = spawnApiProcess(stack, port);
    worker = spawnWorkerProcess(stack, {
      OLLAMA_HOST: `${stack.fake.url}*1,${second.url}*1`,
      ENRICHMENT: "online",
      KEV_URL: kev.feedUrl,
      EPSS_API_URL: epss.endpoint,
      NVD_API_URL: nvd.endpoint,
      OSV_API_URL: osv.apiRoot,
      ENRICHMENT_WAIT_MS: "20000",
    });
    await waitFor("the API process", async () => (await fetch(`${url}/health`).catch(() => undefined))?.ok);
  });

  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    await stack?.close();
    await Promise.all([second?.close(), kev?.close(), epss?.close(), nvd?.close(), osv?.close()]);
  });

  const calls = () => stack.fake.chatCalls + second.chatCalls;
  const statuses = async (scanId: number) =>
    (
      (await getJson(`${url}/api/container/scans/${scanId}/analysis`)).body as {
        by_status: Record<string, number>;
      }
    ).by_status;

  it("should ask once per advisory over two servers, with KEV and EPSS in the prompt and an explained risk", async () => {
    const uploaded = await uploadReport(
      url,
      trivyReport("registry.example.com/e2e/features:1", [
        ...["e2e-gcc-a", "e2e-gcc-b", "e2e-gcc-c"].map((pkg) => ({
          id: "CVE-2024-9300",
          pkg,
          fixed: "1.0.0-9",
        })),
        { id: "GHSA-e2e0-aaaa-bbbb", pkg: "e2e-lib" },
        { id: "CVE-2024-9301", pkg: "e2e-other" },
      ]),
    );
    expect(uploaded.status).toBe(201);
    const scanId = uploaded.body.scan.id as number;
    await waitFor("all analysed", async () => (await statuses(scanId)).completed === 5, 30_000);
    // Three questions: the three-package advisory is one.
    expect(calls()).toBe(3);
    expect(stack.fake.chatCalls).toBeGreaterThan(0);
    expect(second.chatCalls).toBeGreaterThan(0);
    const users = [...stack.fake.requests, ...second.requests]
      .filter((r) => r.path === "/api/chat")
      .map((r) => userMessageOf(r) ?? "");
    const advisory = users.find((u) => u.includes('"CVE-2024-9300"')) as string;
    expect(advisory).toContain('"in_kev": true');
    expect(advisory).toContain('"epss_band": "≥ 50%"');
    for (const pkg of ["e2e-gcc-a", "e2e-gcc-b", "e2e-gcc-c"]) expect(advisory).toContain(`"${pkg}"`);

    const page = await getJson(`${url}/api/container/scans/${scanId}/findings?sort=risk`);
    const top = page.body.items[0];
    expect(top.vulnerability_id).toBe("CVE-2024-9300");
    expect(top.exploitation).toMatchObject({ kev_listed: true, ransomware: true, epss_score: 0.72 });
    expect(top.risk.score).toBeGreaterThanOrEqual(7);
    // The GHSA id reached KEV through its OSV alias.
    const ghsa = await getJson(`${url}/api/cve/GHSA-e2e0-aaaa-bbbb`);
    expect(ghsa.body).toMatchObject({
      aliases: ["CVE-2024-9300"],
      sources: { osv: { outcome: "found" }, kev: { outcome: "found" } },
    });
    // No CVSS in these report entries: NVD was asked about the CVEs, each once.
    expect(nvd.requests.map((r) => r.query.cveId).sort()).toEqual(["CVE-2024-9300", "CVE-2024-9301"]);
  });

  it("should fail nothing during an Ollama outage, and re-ask failed questions on the bulk retry", async () => {
    for (const fake of [stack.fake, second]) fake.setFault({ kind: "refuse" });
    stack.fake.setResponder(() => BAD);
    second.setResponder(() => BAD);
    const uploaded = await uploadReport(
      url,
      trivyReport("registry.example.com/e2e/outage:1", [{ id: "CVE-2024-9400", pkg: "e2e-down" }]),
    );
    const scanId = uploaded.body.scan.id as number;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await statuses(scanId)).failed).toBe(0);
    for (const fake of [stack.fake, second]) fake.setFault(null);
    // Back up, but every answer is unusable even after the repair turn: failed, for good.
    await waitFor("failed", async () => (await statuses(scanId)).failed === 1, 30_000);

    stack.fake.setResponder(null);
    second.setResponder(null);
    const retry = await fetch(`${url}/api/llm/analyze/retry`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ status: "failed", scan_id: scanId }),
    });
    expect(retry.status).toBe(202);
    expect(await retry.json()).toEqual({ questions: 1, findings: 1 });
    await waitFor("completed after the retry", async () => (await statuses(scanId)).completed === 1, 30_000);
  });
});
