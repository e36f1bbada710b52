/**
 * NVD CVE API 2.0 records for the stub, shaped like `vulnerabilities[].cve` (enrichment.md §4). The
 * builders cover what clients trip on: v2 only (its baseSeverity outside cvssData), v4 only and
 * only from the CNA as Secondary, Primary and Secondary disagreeing, no metrics, and Rejected.
 */

interface NvdCvssMetric {
  source: string;
  type: "Primary" | "Secondary";
  cvssData: { version: string; vectorString: string; baseScore: number; [field: string]: unknown };
  [field: string]: unknown;
}

export interface NvdCve {
  id: string;
  sourceIdentifier: string;
  published: string;
  lastModified: string;
  vulnStatus: string;
  cveTags?: unknown[];
  descriptions: { lang: string; value: string }[];
  metrics: {
    cvssMetricV40?: NvdCvssMetric[];
    cvssMetricV31?: NvdCvssMetric[];
    cvssMetricV30?: NvdCvssMetric[];
    cvssMetricV2?: NvdCvssMetric[];
  };
  weaknesses?: { source: string; type: string; description: { lang: string; value: string }[] }[];
  references: { url: string; source: string; tags?: string[] }[];
  [field: string]: unknown;
}

const NVD = "nvd@nist.gov";
/** CISA-ADP signs its metrics with a UUID, not an e-mail. */
const CISA_ADP = "134c704f-9b21-4f2e-91b3-4a467353bcc0";

const V31_SEVERITY = (score: number) =>
  score === 0 ? "NONE" : score < 4 ? "LOW" : score < 7 ? "MEDIUM" : score < 9 ? "HIGH" : "CRITICAL";

function base(id: string, overrides: Partial<NvdCve>): NvdCve {
  return {
    id,
    sourceIdentifier: "cve@mitre.org",
    published: "2023-10-10T14:15:10.883",
    lastModified: "2025-04-02T20:15:34.017",
    vulnStatus: "Analyzed",
    cveTags: [],
    descriptions: [{ lang: "en", value: `Description of ${id}.` }],
    metrics: {},
    references: [{ url: `https://www.cve.org/CVERecord?id=${id}`, source: "cve@mitre.org" }],
    ...overrides,
  };
}

function cwe(source: string, type: string, ...ids: string[]) {
  return { source, type, description: ids.map((value) => ({ lang: "en", value })) };
}

function v31(source: string, type: "Primary" | "Secondary", vector: string, score: number): NvdCvssMetric {
  const part = (key: string) =>
    vector
      .split("/")
      .find((p) => p.startsWith(`${key}:`))
      ?.slice(key.length + 1);
  return {
    source,
    type,
    cvssData: {
      version: "3.1",
      vectorString: vector,
      baseScore: score,
      baseSeverity: V31_SEVERITY(score),
      attackVector: part("AV") === "N" ? "NETWORK" : "LOCAL",
      scope: part("S") === "C" ? "CHANGED" : "UNCHANGED",
    },
    exploitabilityScore: 3.9,
    impactScore: Math.round(Math.max(0, score - 3.9) * 10) / 10,
  };
}

/** Old CVE scored only with CVSS v2; NVD keeps v2's `baseSeverity` beside `cvssData`, not in it. */
export function nvdV2OnlyRecord(id = "CVE-2005-2541", overrides: Partial<NvdCve> = {}): NvdCve {
  return base(id, {
    published: "2005-08-10T04:00:00.000",
    lastModified: "2025-04-03T01:03:51.193",
    descriptions: [
      {
        lang: "en",
        value:
          "Tar 1.15.1 does not properly warn the user when extracting setuid or setgid files, which may allow local users or remote attackers to gain privileges.",
      },
    ],
    metrics: {
      cvssMetricV2: [
        {
          source: NVD,
          type: "Primary",
          cvssData: { version: "2.0", vectorString: "AV:N/AC:L/Au:N/C:C/I:C/A:C", baseScore: 10.0 },
          baseSeverity: "HIGH",
          exploitabilityScore: 10.0,
          impactScore: 10.0,
          acInsufInfo: false,
          obtainAllPrivilege: true,
          obtainUserPrivilege: false,
          obtainOtherPrivilege: false,
          userInteractionRequired: false,
        },
      ],
    },
    weaknesses: [cwe(NVD, "Primary", "NVD-CWE-Other")],
    references: [{ url: "http://marc.info/?l=bugtraq&m=112327628230258&w=2", source: "cve@mitre.org" }],
    ...overrides,
  });
}

/** Recent CVE whose only score is the CNA's CVSS v4.0, filed as Secondary (NVD does not score v4). */
export function nvdV4OnlyRecord(id = "CVE-2025-24813", overrides: Partial<NvdCve> = {}): NvdCve {
  return base(id, {
    sourceIdentifier: "security@apache.org",
    published: "2025-03-10T17:15:35.067",
    lastModified: "2025-03-12T09:15:11.400",
    vulnStatus: "Awaiting Analysis",
    descriptions: [
      { lang: "en", value: "Path Equivalence: 'file.Name' (Internal Dot) leading to Remote Code Execution." },
      {
        lang: "es",
        value:
          "Equivalencia de ruta: 'file.Name' (punto interno) que conduce a la ejecución remota de código.",
      },
    ],
    metrics: {
      cvssMetricV40: [
        {
          source: "security@apache.org",
          type: "Secondary",
          cvssData: {
            version: "4.0",
            vectorString: "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:X",
            baseScore: 9.2,
            baseSeverity: "CRITICAL",
            attackVector: "NETWORK",
            attackRequirements: "PRESENT",
            exploitMaturity: "NOT_DEFINED",
            Safety: "NOT_DEFINED",
          },
        },
      ],
    },
    weaknesses: [cwe("security@apache.org", "Secondary", "CWE-44", "CWE-502")],
    references: [
      {
        url: "https://lists.apache.org/thread/j5fkjv2k477os90nczf2v9l61fb0kkgq",
        source: "security@apache.org",
      },
    ],
    ...overrides,
  });
}

/** NVD's own v3.1 (Primary) and the CNA's (Secondary) disagreeing; plus v3.0 and the KEV mirror fields. */
export function nvdV31Record(id = "CVE-2023-44487", overrides: Partial<NvdCve> = {}): NvdCve {
  return base(id, {
    descriptions: [
      {
        lang: "en",
        value:
          "The HTTP/2 protocol allows a denial of service (server resource consumption) because request cancellation can reset many streams quickly, as exploited in the wild in August through October 2023.",
      },
    ],
    cisaExploitAdd: "2023-10-10",
    cisaActionDue: "2023-10-31",
    cisaRequiredAction:
      "Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.",
    cisaVulnerabilityName: "HTTP/2 Rapid Reset Attack Vulnerability",
    metrics: {
      cvssMetricV31: [
        v31(NVD, "Primary", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
        v31(CISA_ADP, "Secondary", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:H", 8.6),
      ],
      cvssMetricV30: [
        {
          ...v31("security@golang.org", "Secondary", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
          cvssData: {
            version: "3.0",
            vectorString: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
            baseScore: 7.5,
          },
        },
      ],
    },
    weaknesses: [cwe(NVD, "Primary", "CWE-400"), cwe(CISA_ADP, "Secondary", "NVD-CWE-noinfo")],
    references: [
      {
        url: "https://blog.cloudflare.com/technical-breakdown-http2-rapid-reset-ddos-attack/",
        source: "cve@mitre.org",
        tags: ["Technical Description", "Vendor Advisory"],
      },
      { url: "https://github.com/nghttp2/nghttp2/pull/1961", source: "cve@mitre.org", tags: ["Patch"] },
    ],
    ...overrides,
  });
}

/** Published, not yet analysed: `metrics` is an empty object and `weaknesses` absent. */
export function nvdNoMetricsRecord(id = "CVE-2025-31115", overrides: Partial<NvdCve> = {}): NvdCve {
  return base(id, {
    sourceIdentifier: "security-advisories@github.com",
    published: "2025-04-03T17:15:30.540",
    lastModified: "2025-04-07T14:18:15.560",
    vulnStatus: "Received",
    descriptions: [
      {
        lang: "en",
        value: "XZ Utils 5.3.3alpha to 5.8.0 has a heap use-after-free in the multithreaded .xz decoder.",
      },
    ],
    references: [
      {
        url: "https://github.com/tukaani-project/xz/security/advisories/GHSA-6cc8-p5mm-29w2",
        source: "security-advisories@github.com",
      },
    ],
    ...overrides,
  });
}

/** Withdrawn by its CNA: no metrics, no weaknesses, no references. */
export function nvdRejectedRecord(id = "CVE-2023-52425", overrides: Partial<NvdCve> = {}): NvdCve {
  return base(id, {
    vulnStatus: "Rejected",
    lastModified: "2024-06-10T17:00:12.000",
    descriptions: [
      {
        lang: "en",
        value:
          "Rejected reason: This CVE ID has been rejected or withdrawn by its CVE Numbering Authority because it is a duplicate.",
      },
    ],
    references: [],
    ...overrides,
  });
}

/** One of each, plus Log4Shell fully scored. */
export function defaultNvdRecords(): NvdCve[] {
  return [
    nvdV2OnlyRecord(),
    nvdV4OnlyRecord(),
    nvdV31Record(),
    nvdNoMetricsRecord(),
    nvdRejectedRecord(),
    nvdV31Record("CVE-2021-44228", {
      sourceIdentifier: "security@apache.org",
      published: "2021-12-10T10:15:09.143",
      vulnStatus: "Modified",
      cisaExploitAdd: "2021-12-10",
      cisaActionDue: "2021-12-24",
      cisaVulnerabilityName: "Apache Log4j2 Remote Code Execution Vulnerability",
      references: [
        {
          url: "https://logging.apache.org/log4j/2.x/security.html",
          source: "security@apache.org",
          tags: ["Release Notes", "Vendor Advisory"],
        },
        {
          url: "http://packetstormsecurity.com/files/165225/Apache-Log4j2-2.14.1-Remote-Code-Execution.html",
          source: "security@apache.org",
        },
      ],
      descriptions: [
        {
          lang: "en",
          value:
            "Apache Log4j2 2.0-beta9 through 2.15.0 JNDI features do not protect against attacker controlled LDAP and other JNDI related endpoints.",
        },
      ],
      metrics: {
        cvssMetricV31: [v31(NVD, "Primary", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0)],
        cvssMetricV2: [
          {
            source: NVD,
            type: "Primary",
            cvssData: { version: "2.0", vectorString: "AV:N/AC:M/Au:N/C:C/I:C/A:C", baseScore: 9.3 },
            baseSeverity: "HIGH",
            exploitabilityScore: 8.6,
            impactScore: 10.0,
          },
        ],
      },
      weaknesses: [
        cwe("security@apache.org", "Secondary", "CWE-20", "CWE-400", "CWE-502"),
        cwe(NVD, "Primary", "CWE-917"),
      ],
    }),
  ];
}
