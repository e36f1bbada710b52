/**
 * Stub of CISA's Known Exploited Vulnerabilities feed: one JSON file, the whole catalogue, served
 * with ETag / Last-Modified so a daily conditional GET gets 304. Shapes follow cisagov/kev-data's
 * schema (/work/shared/notes/enrichment.md §2); required fields always present, optional ones not.
 */
import { createHash } from "node:crypto";
import type { StubBase, StubRequest, StubResponse } from "./stub-server.js";
import { extendStub, startStubServer } from "./stub-server.js";

export interface KevEntry {
  cveID: string;
  vendorProject: string;
  product: string;
  vulnerabilityName: string;
  /** YYYY-MM-DD */
  dateAdded: string;
  shortDescription: string;
  requiredAction: string;
  /** YYYY-MM-DD */
  dueDate: string;
  knownRansomwareCampaignUse?: "Known" | "Unknown";
  notes?: string;
  cwes?: string[];
  /** The feed grows fields over time; clients must ignore the ones they do not know. */
  [extra: string]: unknown;
}

export interface StubKevOptions {
  /** Default: `defaultKevCatalogue()`. */
  entries?: readonly KevEntry[];
  /** Default "2025.06.12". */
  catalogVersion?: string;
}

export interface StubKev extends StubBase {
  /** The feed file itself, as KEV_URL: `${url}/feed.json`. */
  readonly feedUrl: string;
  readonly etag: string;
  readonly lastModified: string;
  /** GET/HEAD /feed.json requests (any outcome). */
  readonly feedCalls: number;
  /** Of those, answered 304 Not Modified. */
  readonly notModified: number;
  /** Replaces the catalogue: new ETag, Last-Modified at least a second later. */
  setEntries(entries: readonly KevEntry[], catalogVersion?: string): void;
}

const REQUIRED_ACTION =
  "Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.";

const VENDORS: readonly [string, string][] = [
  ["Microsoft", "Windows"],
  ["Apache", "HTTP Server"],
  ["Fortinet", "FortiOS"],
  ["Ivanti", "Connect Secure"],
  ["Oracle", "WebLogic Server"],
  ["Linux", "Kernel"],
  ["Progress", "MOVEit Transfer"],
  ["Atlassian", "Confluence Data Center and Server"],
];

/** A realistic entry with every optional field; override (or set to undefined) what a test needs. */
export function kevEntry(cveId: string, overrides: Partial<KevEntry> = {}): KevEntry {
  const hash = createHash("sha256").update(cveId).digest();
  const [vendorProject, product] = VENDORS[(hash[0] ?? 0) % VENDORS.length] ?? ["Microsoft", "Windows"];
  const added = new Date(Date.UTC(2022, 0, 10) + ((hash[1] ?? 0) * 5 + (hash[2] ?? 0)) * 86_400_000);
  const entry: KevEntry = {
    cveID: cveId,
    vendorProject,
    product,
    vulnerabilityName: `${vendorProject} ${product} Improper Input Validation Vulnerability`,
    dateAdded: isoDay(added),
    shortDescription: `${vendorProject} ${product} contains an improper input validation vulnerability that allows a remote attacker to execute code.`,
    requiredAction: REQUIRED_ACTION,
    dueDate: isoDay(new Date(added.getTime() + 21 * 86_400_000)), // BOD 22-01: three weeks
    knownRansomwareCampaignUse: "Unknown",
    notes: `https://nvd.nist.gov/vuln/detail/${cveId}`,
    cwes: ["CWE-20"],
  };
  return { ...entry, ...overrides };
}

/** Real catalogue entries, trimmed: optional fields present, absent, and one field clients do not know. */
export function defaultKevCatalogue(): KevEntry[] {
  return [
    kevEntry("CVE-2021-44228", {
      vendorProject: "Apache",
      product: "Log4j2",
      vulnerabilityName: "Apache Log4j2 Remote Code Execution Vulnerability",
      dateAdded: "2021-12-10",
      shortDescription:
        "Apache Log4j2 contains a vulnerability where JNDI features do not protect against attacker-controlled JNDI-related endpoints, allowing for remote code execution.",
      requiredAction:
        "For all affected software assets for which updates exist, the only acceptable remediation actions are: 1) Apply updates; OR 2) remove affected assets from agency networks. Temporary mitigations using one of the measures provided at https://www.cisa.gov/uscert/ed-22-02-apache-log4j-recommended-mitigation-measures are only acceptable until updates are available.",
      dueDate: "2021-12-24",
      knownRansomwareCampaignUse: "Known",
      notes:
        "https://nvd.nist.gov/vuln/detail/CVE-2021-44228; https://logging.apache.org/log4j/2.x/security.html",
      cwes: ["CWE-20", "CWE-400", "CWE-502"],
    }),
    kevEntry("CVE-2023-44487", {
      vendorProject: "IETF",
      product: "HTTP/2",
      vulnerabilityName: "HTTP/2 Rapid Reset Attack Vulnerability",
      dateAdded: "2023-10-10",
      shortDescription:
        "HTTP/2 contains a rapid reset vulnerability that allows for a distributed denial-of-service attack (DDoS).",
      requiredAction: REQUIRED_ACTION,
      dueDate: "2023-10-31",
      notes:
        "This vulnerability affects a common open-source component, third-party library, or a protocol used by different products. For more information, please see: https://nvd.nist.gov/vuln/detail/CVE-2023-44487",
      cwes: ["CWE-400"],
    }),
    kevEntry("CVE-2023-4966", {
      vendorProject: "Citrix",
      product: "NetScaler ADC and NetScaler Gateway",
      vulnerabilityName: "Citrix NetScaler ADC and NetScaler Gateway Buffer Overflow Vulnerability",
      dateAdded: "2023-10-18",
      shortDescription:
        "Citrix NetScaler ADC and NetScaler Gateway contain a buffer overflow vulnerability that allows for sensitive information disclosure when configured as a Gateway (VPN virtual server, ICA Proxy, CVPN, RDP Proxy) or AAA virtual server.",
      requiredAction: REQUIRED_ACTION,
      dueDate: "2023-11-08",
      knownRansomwareCampaignUse: "Known",
      cwes: ["CWE-119"],
    }),
    kevEntry("CVE-2024-3400", {
      vendorProject: "Palo Alto Networks",
      product: "PAN-OS",
      vulnerabilityName: "Palo Alto Networks PAN-OS Command Injection Vulnerability",
      dateAdded: "2024-04-12",
      shortDescription:
        "Palo Alto Networks PAN-OS GlobalProtect feature contains a command injection vulnerability that allows an unauthenticated attacker to execute commands with root privileges on the firewall.",
      requiredAction: REQUIRED_ACTION,
      dueDate: "2024-04-19",
      cwes: ["CWE-77", "CWE-20"],
      // A field newer than this client: must be ignored, not rejected.
      forensicTriage: { advisory: "https://security.paloaltonetworks.com/CVE-2024-3400", triaged: true },
    }),
    // Entries of the first catalogue release carry the required fields only.
    {
      cveID: "CVE-2021-27104",
      vendorProject: "Accellion",
      product: "FTA",
      vulnerabilityName: "Accellion FTA OS Command Injection Vulnerability",
      dateAdded: "2021-11-03",
      shortDescription:
        "Accellion FTA contains an OS command injection vulnerability exploited via a crafted POST request to an admin endpoint.",
      requiredAction: "Apply updates per vendor instructions.",
      dueDate: "2021-11-17",
    },
    {
      cveID: "CVE-2022-22965",
      vendorProject: "VMware",
      product: "Spring Framework",
      vulnerabilityName: "Spring Framework JDK 9+ Remote Code Execution Vulnerability",
      dateAdded: "2022-04-04",
      shortDescription:
        "Spring MVC or Spring WebFlux application running on JDK 9+ may be vulnerable to remote code execution (RCE) via data binding.",
      requiredAction: "Apply updates per vendor instructions.",
      dueDate: "2022-04-25",
    },
    kevEntry("CVE-2021-3156", {
      vendorProject: "Sudo",
      product: "Sudo",
      vulnerabilityName: "Sudo Heap-Based Buffer Overflow Vulnerability",
      dateAdded: "2022-04-06",
      shortDescription:
        "Sudo contains an off-by-one error that can result in a heap-based buffer overflow, which allows for privilege escalation.",
      requiredAction: "Apply updates per vendor instructions.",
      dueDate: "2022-04-27",
      knownRansomwareCampaignUse: "Unknown",
      notes: "https://www.sudo.ws/stable.html#1.9.5p2; https://nvd.nist.gov/vuln/detail/CVE-2021-3156",
      cwes: [],
    }),
  ];
}

export async function startStubKev(options: StubKevOptions = {}): Promise<StubKev> {
  let catalogVersion = options.catalogVersion ?? "2025.06.12";
  let entries = [...(options.entries ?? defaultKevCatalogue())];
  let body = "";
  let etag = "";
  let modifiedAt = 0; // whole seconds, as HTTP dates carry
  let feedCalls = 0;
  let notModified = 0;

  const publish = () => {
    modifiedAt = Math.max(Math.floor(Date.now() / 1000) * 1000, modifiedAt + 1000);
    body = JSON.stringify({
      title: "CISA Catalog of Known Exploited Vulnerabilities",
      catalogVersion,
      dateReleased: new Date(modifiedAt).toISOString(),
      count: entries.length,
      vulnerabilities: entries,
    });
    etag = `"${createHash("sha1").update(body).digest("hex").slice(0, 20)}"`;
  };
  publish();

  const handle = (req: StubRequest): StubResponse => {
    if (req.path !== "/feed.json" || (req.method !== "GET" && req.method !== "HEAD")) {
      return { status: 404, headers: { "content-type": "text/html; charset=UTF-8" }, body: notFoundPage };
    }
    feedCalls++;
    const headers = {
      etag,
      "last-modified": new Date(modifiedAt).toUTCString(),
      "cache-control": "max-age=300",
    };
    if (isNotModified(req, etag, modifiedAt)) {
      notModified++;
      return { status: 304, headers };
    }
    return { status: 200, headers: { ...headers, "content-type": "application/json" }, body };
  };

  const base = await startStubServer("stub-kev", handle);
  return extendStub(base, {
    feedUrl: `${base.url}/feed.json`,
    get etag() {
      return etag;
    },
    get lastModified() {
      return new Date(modifiedAt).toUTCString();
    },
    get feedCalls() {
      return feedCalls;
    },
    get notModified() {
      return notModified;
    },
    setEntries(next: readonly KevEntry[], version?: string) {
      entries = [...next];
      if (version !== undefined) catalogVersion = version;
      publish();
    },
    reset() {
      base.reset();
      feedCalls = 0;
      notModified = 0;
    },
  });
}

/** RFC 9110 §13.2.2: If-None-Match decides when present; If-Modified-Since only without it. */
function isNotModified(req: StubRequest, etag: string, modifiedAt: number): boolean {
  const inm = req.headers["if-none-match"];
  if (inm !== undefined) {
    const weak = (tag: string) => tag.trim().replace(/^W\//, "");
    return inm.trim() === "*" || inm.split(",").some((tag) => weak(tag) === weak(etag));
  }
  const ims = req.headers["if-modified-since"];
  const since = ims === undefined ? Number.NaN : Date.parse(ims);
  return !Number.isNaN(since) && modifiedAt <= since;
}

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

const notFoundPage =
  '<!DOCTYPE html><html lang="en"><head><title>Page Not Found | CISA</title></head><body><h1>Page Not Found</h1></body></html>';
