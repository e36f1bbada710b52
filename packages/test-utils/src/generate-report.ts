import { createHash } from "node:crypto";

// A deterministic pseudo-random source, so every run benchmarks the same bytes.
function rng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const WORDS =
  "a an the in of to via allows remote attackers cause denial service buffer overflow heap use-after-free crafted request \
header parser integer overflow out-of-bounds read write memory corruption execute arbitrary code privilege escalation \
authentication bypass certificate validation improper input validation when processing specially malformed packet \
library function could lead information disclosure vulnerability exists because does not properly sanitize user \
supplied data before null pointer dereference race condition TLS handshake server client DNS resolver regular \
expression catastrophic backtracking path traversal symlink followed".split(/\s+/);

const DEBIAN_PACKAGES = [
  "openssl",
  "libssl3",
  "libc6",
  "libc-bin",
  "zlib1g",
  "curl",
  "libcurl4",
  "libxml2",
  "libsqlite3-0",
  "perl-base",
  "libgnutls30",
  "libtasn1-6",
  "libexpat1",
  "libpcre2-8-0",
  "ncurses-base",
  "libsystemd0",
  "libudev1",
  "bash",
  "coreutils",
  "tar",
  "gzip",
  "libkrb5-3",
  "libgssapi-krb5-2",
  "login",
  "passwd",
  "util-linux",
  "libblkid1",
  "libmount1",
  "libuuid1",
  "e2fsprogs",
  "libext2fs2",
  "libgcrypt20",
  "libzstd1",
  "liblzma5",
  "libbz2-1.0",
  "git",
  "libtiff6",
  "libpng16-16",
  "libjpeg62-turbo",
  "libfreetype6",
  "imagemagick",
  "python3.11",
  "libpython3.11",
];
const NPM_PACKAGES = [
  "lodash",
  "minimist",
  "express",
  "jsonwebtoken",
  "axios",
  "semver",
  "tar",
  "ws",
  "qs",
  "moment",
];
const SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "MEDIUM", "MEDIUM", "LOW", "LOW", "UNKNOWN"];

function sentence(next: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[Math.floor(next() * WORDS.length)] as string);
  const text = out.join(" ");
  return `${text[0]?.toUpperCase()}${text.slice(1)}.`;
}

/**
 * A SchemaVersion 2 report shaped like `trivy image -f json` output of a large Debian image with
 * a Node.js app: every field Trivy writes, realistic lengths, pretty-printed with 2 spaces.
 */
export function generateReport(findings: number, seed = 42): Buffer {
  const next = rng(seed);
  const osVulns: unknown[] = [];
  const npmVulns: unknown[] = [];
  for (let i = 0; i < findings; i++) {
    const isNpm = i % 5 === 4;
    const pkg = isNpm
      ? (NPM_PACKAGES[i % NPM_PACKAGES.length] as string)
      : (DEBIAN_PACKAGES[i % DEBIAN_PACKAGES.length] as string);
    const version = isNpm ? `4.${i % 17}.${i % 7}` : `1:2.${i % 40}.${i % 9}-${1 + (i % 5)}+deb12u${i % 4}`;
    const year = 2015 + (i % 11);
    const id = `CVE-${year}-${10000 + i}`;
    const severity = SEVERITIES[i % SEVERITIES.length] as string;
    const fixed = i % 3 !== 0;
    const references = Array.from(
      { length: 1 + Math.floor(next() * 3) },
      (_, r) => `https://security-tracker.example.org/${id}/advisory-${r}-${Math.floor(next() * 1e6)}`,
    );
    const vuln: Record<string, unknown> = {
      VulnerabilityID: id,
      PkgID: `${pkg}@${version}`,
      PkgName: pkg,
      PkgIdentifier: {
        PURL: isNpm
          ? `pkg:npm/${pkg}@${version}`
          : `pkg:deb/debian/${pkg}@${version}?arch=amd64&distro=debian-12.8`,
        UID: createHash("sha1").update(`${pkg}${i}`).digest("hex").slice(0, 16),
      },
      InstalledVersion: version,
      ...(fixed ? { FixedVersion: isNpm ? `4.${(i % 17) + 1}.0` : `${version}+fix1` } : {}),
      Status: fixed ? "fixed" : "affected",
      Layer: {
        DiffID: `sha256:${createHash("sha256")
          .update(`diff${i % 9}`)
          .digest("hex")}`,
      },
      SeveritySource: isNpm ? "ghsa" : "debian",
      PrimaryURL: `https://avd.aquasec.com/nvd/${id.toLowerCase()}`,
      DataSource: isNpm
        ? {
            ID: "ghsa",
            Name: "GitHub Security Advisory npm",
            URL: "https://github.com/advisories?query=type%3Areviewed+ecosystem%3Anpm",
          }
        : {
            ID: "debian",
            Name: "Debian Security Tracker",
            URL: "https://salsa.debian.org/security-tracker-team/security-tracker",
          },
      Fingerprint: `sha256:${createHash("sha256").update(`fp${i}`).digest("hex")}`,
      Title: `${pkg}: ${sentence(next, 6 + Math.floor(next() * 10)).slice(0, -1)}`,
      Description: Array.from({ length: 1 + Math.floor(next() * 2) }, () =>
        sentence(next, 8 + Math.floor(next() * 12)),
      ).join(" "),
      Severity: severity,
      CweIDs: [`CWE-${100 + (i % 700)}`, ...(i % 4 === 0 ? [`CWE-${20 + (i % 80)}`] : [])],
      VendorSeverity: { debian: 1 + (i % 4), nvd: 1 + ((i + 1) % 4), redhat: 1 + ((i + 2) % 4) },
      CVSS: {
        nvd: {
          V3Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
          V3Score: Math.round(next() * 100) / 10,
        },
        ...(i % 2 === 0
          ? {
              redhat: {
                V3Vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:H",
                V3Score: Math.round(next() * 100) / 10,
              },
            }
          : {}),
      },
      References: references,
      PublishedDate: `${year}-0${1 + (i % 9)}-1${i % 10}T15:15:0${i % 10}.${i % 1000}Z`,
      LastModifiedDate: `${year + 1}-0${1 + (i % 9)}-2${i % 10}T10:00:00Z`,
    };
    (isNpm ? npmVulns : osVulns).push(vuln);
  }
  const report = {
    SchemaVersion: 2,
    Trivy: { Version: "0.69.3" },
    ReportID: "019a1b2c-3d4e-7f00-8000-000000000042",
    CreatedAt: "2026-11-20T10:19:22.484900675+01:00",
    ArtifactID: `sha256:${createHash("sha256").update("artifact").digest("hex")}`,
    ArtifactName: "registry.example.com/platform/big-app:1.4.2",
    ArtifactType: "container_image",
    Metadata: {
      Size: 912345678,
      OS: { Family: "debian", Name: "12.8" },
      ImageID: `sha256:${createHash("sha256").update("image").digest("hex")}`,
      DiffIDs: Array.from(
        { length: 9 },
        (_, l) => `sha256:${createHash("sha256").update(`diff${l}`).digest("hex")}`,
      ),
      RepoTags: ["registry.example.com/platform/big-app:1.4.2"],
      RepoDigests: [
        `registry.example.com/platform/big-app@sha256:${createHash("sha256").update("digest").digest("hex")}`,
      ],
      ImageConfig: {
        architecture: "amd64",
        os: "linux",
        config: { Env: ["PATH=/usr/local/bin:/usr/bin"], Cmd: ["node", "server.js"] },
      },
    },
    Results: [
      {
        Target: "registry.example.com/platform/big-app:1.4.2 (debian 12.8)",
        Class: "os-pkgs",
        Type: "debian",
        Vulnerabilities: osVulns,
      },
      { Target: "app/package-lock.json", Class: "lang-pkgs", Type: "npm", Vulnerabilities: npmVulns },
    ],
  };
  return Buffer.from(`${JSON.stringify(report, null, 2)}\n`);
}
