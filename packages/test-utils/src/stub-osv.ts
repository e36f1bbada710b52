/**
 * Stub of OSV's API (`POST /v1/querybatch`, `GET /v1/vulns/{id}`), per google/osv.dev
 * docs/api and /work/shared/notes/enrichment.md §5. Records leave empty fields out, as OSV's
 * protobuf JSON does: a GO- record may have no `aliases` key at all.
 */
import type { StubBase, StubRequest, StubResponse } from "./stub-server.js";
import { extendStub, startStubServer } from "./stub-server.js";

interface OsvPackage {
  name?: string;
  ecosystem?: string;
  purl?: string;
}

export interface OsvVuln {
  id: string;
  modified: string;
  published?: string;
  aliases?: string[];
  summary?: string;
  details?: string;
  severity?: { type: string; score: string }[];
  affected?: { package: OsvPackage; ranges?: unknown[]; versions?: string[]; [field: string]: unknown }[];
  references?: { type: string; url: string }[];
  [field: string]: unknown;
}

export interface StubOsvOptions {
  /** Default: `defaultOsvVulns()`. */
  vulns?: readonly OsvVuln[];
}

export interface StubOsv extends StubBase {
  /** The API root, as OSV_API_URL (`/v1/...` appended by the client). */
  readonly apiRoot: string;
  /** POST /v1/querybatch requests. */
  readonly batchCalls: number;
  /** GET /v1/vulns/{id} requests, found or not. */
  readonly vulnCalls: number;
  setVulns(vulns: readonly OsvVuln[]): void;
}

const MAX_QUERIES = 1000;
const PURL_ECOSYSTEMS: Record<string, string> = {
  npm: "npm",
  pypi: "PyPI",
  golang: "Go",
  maven: "Maven",
  cargo: "crates.io",
  gem: "RubyGems",
  nuget: "NuGet",
  composer: "Packagist",
};

/** GitHub advisory with one CVE alias. */
export function ghsaVuln(id: string, cve: string, overrides: Partial<OsvVuln> = {}): OsvVuln {
  return {
    schema_version: "1.6.0",
    id,
    modified: "2025-02-04T22:17:11.573619Z",
    published: "2021-12-10T00:40:56Z",
    aliases: [cve],
    summary: "Remote code injection in Log4j",
    details:
      "Apache Log4j2 JNDI features do not protect against attacker controlled LDAP and other JNDI related endpoints.",
    severity: [{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H" }],
    affected: [
      {
        package: {
          ecosystem: "Maven",
          name: "org.apache.logging.log4j:log4j-core",
          purl: "pkg:maven/org.apache.logging.log4j/log4j-core",
        },
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "2.0-beta9" }, { fixed: "2.15.0" }] }],
        versions: ["2.0-beta9", "2.12.1", "2.13.3", "2.14.0", "2.14.1"],
        database_specific: {
          source:
            "https://github.com/github/advisory-database/blob/main/advisories/github-reviewed/2021/12/GHSA-jfh8-c2jp-5v3q/GHSA-jfh8-c2jp-5v3q.json",
        },
      },
    ],
    references: [
      { type: "ADVISORY", url: `https://nvd.nist.gov/vuln/detail/${cve}` },
      { type: "PACKAGE", url: "https://github.com/apache/logging-log4j2" },
    ],
    database_specific: { cwe_ids: ["CWE-20", "CWE-502"], github_reviewed: true, severity: "CRITICAL" },
    ...overrides,
  };
}

/** Go vulndb entry with no alias at all (the key is absent, not an empty list) and no severity. */
export function goVuln(id: string, overrides: Partial<OsvVuln> = {}): OsvVuln {
  return {
    schema_version: "1.6.0",
    id,
    modified: "2024-08-20T17:34:45Z",
    published: "2024-08-06T21:21:52Z",
    summary: "Unbounded memory consumption in github.com/gomarkdown/markdown",
    details: "Parsing a crafted document can consume unbounded memory.",
    affected: [
      {
        package: {
          ecosystem: "Go",
          name: "github.com/gomarkdown/markdown",
          purl: "pkg:golang/github.com/gomarkdown/markdown",
        },
        ranges: [
          { type: "SEMVER", events: [{ introduced: "0" }, { fixed: "0.0.0-20240729212818-a2a9c4f76ef5" }] },
        ],
        ecosystem_specific: {
          imports: [{ path: "github.com/gomarkdown/markdown/parser", symbols: ["Parser.Parse"] }],
        },
      },
    ],
    references: [{ type: "FIX", url: "https://github.com/gomarkdown/markdown/commit/a2a9c4f76ef5" }],
    database_specific: { url: `https://pkg.go.dev/vuln/${id}`, review_status: "REVIEWED" },
    ...overrides,
  };
}

/** PyPA advisory with two aliases (a CVE and a GHSA); only the CVE one feeds EPSS and KEV. */
export function pysecVuln(id: string, aliases: string[], overrides: Partial<OsvVuln> = {}): OsvVuln {
  return {
    id,
    modified: "2024-11-21T08:25:53.681462Z",
    published: "2023-11-03T05:15:29Z",
    aliases,
    details:
      "Pillow before 10.0.0 allows a denial of service: ImageFont could consume unbounded memory when given a very long text.",
    affected: [
      {
        package: { ecosystem: "PyPI", name: "pillow", purl: "pkg:pypi/pillow" },
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "10.0.0" }] }],
        versions: ["9.4.0", "9.5.0"],
      },
    ],
    references: [{ type: "FIX", url: "https://github.com/python-pillow/Pillow/pull/7244" }],
    ...overrides,
  };
}

export function defaultOsvVulns(): OsvVuln[] {
  return [
    ghsaVuln("GHSA-jfh8-c2jp-5v3q", "CVE-2021-44228"),
    goVuln("GO-2024-3068"),
    pysecVuln("PYSEC-2023-175", ["CVE-2023-44271", "GHSA-8ghj-p4vj-mr35"]),
  ];
}

export async function startStubOsv(options: StubOsvOptions = {}): Promise<StubOsv> {
  let vulns = [...(options.vulns ?? defaultOsvVulns())];
  let batchCalls = 0;
  let vulnCalls = 0;

  const handle = (req: StubRequest): StubResponse => {
    if (req.method === "POST" && req.path === "/v1/querybatch") {
      batchCalls++;
      return queryBatch(vulns, req.body);
    }
    const match = /^\/v1\/vulns\/([^/]+)$/.exec(req.path);
    if (req.method === "GET" && match?.[1]) {
      vulnCalls++;
      const id = decodeURIComponent(match[1]);
      const found = vulns.find((v) => v.id === id);
      return found ? json(200, found) : json(404, { code: 5, message: "Bug not found." });
    }
    return { status: 404, headers: { "content-type": "text/plain; charset=utf-8" }, body: "Not Found" };
  };

  const base = await startStubServer("stub-osv", handle);
  return extendStub(base, {
    apiRoot: base.url,
    get batchCalls() {
      return batchCalls;
    },
    get vulnCalls() {
      return vulnCalls;
    },
    setVulns(next: readonly OsvVuln[]) {
      vulns = [...next];
    },
    reset() {
      base.reset();
      batchCalls = 0;
      vulnCalls = 0;
    },
  });
}

function queryBatch(vulns: readonly OsvVuln[], raw: string): StubResponse {
  let queries: unknown;
  try {
    queries = (JSON.parse(raw) as { queries?: unknown }).queries;
  } catch {
    return json(400, { code: 3, message: "Invalid JSON payload received." });
  }
  if (!Array.isArray(queries)) return json(400, { code: 3, message: "Invalid query." });
  if (queries.length > MAX_QUERIES) return json(400, { code: 3, message: "Too many queries." });
  const results = queries.map((q: { package?: OsvPackage; version?: string }) => {
    const wanted = packageOf(q.package ?? {});
    const version = q.version ?? (q.package?.purl ? purlVersion(q.package.purl) : undefined);
    const hits = vulns.filter((v) =>
      (v.affected ?? []).some((a) => {
        const p = packageOf(a.package);
        return p.ecosystem === wanted.ecosystem && p.name === wanted.name && affects(a, version);
      }),
    );
    // An empty result is `{}`: protobuf JSON leaves the empty list out.
    return hits.length ? { vulns: hits.map((v) => ({ id: v.id, modified: v.modified })) } : {};
  });
  return json(200, { results });
}

function packageOf(pkg: OsvPackage): { ecosystem?: string; name?: string } {
  if (!pkg.purl || (pkg.name && pkg.ecosystem)) return { ecosystem: pkg.ecosystem, name: pkg.name };
  const m = /^pkg:([^/]+)\/([^@?#]+)/.exec(pkg.purl);
  if (!m?.[1] || !m[2]) return {};
  const type = m[1].toLowerCase();
  const path = decodeURIComponent(m[2]);
  // Maven's purl namespace/name is OSV's "group:artifact".
  const name = type === "maven" ? path.replace("/", ":") : path;
  return { ecosystem: PURL_ECOSYSTEMS[type] ?? type, name };
}

function purlVersion(purl: string): string | undefined {
  const at = /@([^?#]+)/.exec(purl.replace(/^pkg:[^/]+\//, ""));
  return at?.[1] ? decodeURIComponent(at[1]) : undefined;
}

/** No version: every vuln of the package. Else the explicit `versions`, or else the range events. */
function affects(a: NonNullable<OsvVuln["affected"]>[number], version: string | undefined): boolean {
  if (version === undefined) return true;
  if (a.versions) return a.versions.includes(version);
  return (a.ranges ?? []).some((range) => {
    const events = (range as { events?: Record<string, string>[] }).events ?? [];
    let inside = false;
    for (const e of events) {
      if (e.introduced !== undefined && (e.introduced === "0" || compare(version, e.introduced) >= 0))
        inside = true;
      if (e.fixed !== undefined && compare(version, e.fixed) >= 0) inside = false;
    }
    return inside;
  });
}

/** Rough dotted-numeric order; enough for the stub's own records, not a semver implementation. */
function compare(a: string, b: string): number {
  const pa = a.replace(/^v/, "").split(/[.+-]/);
  const pb = b.replace(/^v/, "").split(/[.+-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? "0";
    const y = pb[i] ?? "0";
    const diff = /^\d+$/.test(x) && /^\d+$/.test(y) ? Number(x) - Number(y) : x.localeCompare(y);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

function json(status: number, body: unknown): StubResponse {
  return { status, headers: { "content-type": "application/json" }, body };
}
