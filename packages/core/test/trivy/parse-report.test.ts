import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { InvalidReportError, MalformedJsonError, UnsupportedReportError } from "../../src/errors.js";
import { canonicalJson } from "../../src/trivy/canonical-json.js";
import { parseTrivyReport } from "../../src/trivy/parse-report.js";

const readTrivyFixture = (name: string) =>
  readFileSync(new URL(`../../../../test/fixtures/trivy/${name}`, import.meta.url));

const ALPINE = "trivy/main/alpine-310.json.golden";

// Rebuilds an object with its keys in reverse order at every level.
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).reverse())
      out[key] = reverseKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

function hashOf(bytes: Buffer | string, imageName?: string): string {
  return parseTrivyReport(Buffer.from(bytes), { imageName }).scan.reportHash;
}

describe(parseTrivyReport.name, () => {
  describe("report hash", () => {
    const original = readTrivyFixture(ALPINE);
    const doc = JSON.parse(original.toString());

    it("should equal SHA-256 of the image name and the whole document's canonical JSON", () => {
      const content = createHash("sha256").update(canonicalJson(doc)).digest("hex");
      const expected = createHash("sha256")
        .update(`${JSON.stringify(doc.ArtifactName)}\n${content}`)
        .digest("hex");
      expect(hashOf(original)).toBe(expected);
    });

    it("should not change with key order, whitespace, a byte-order mark or CRLF line endings", () => {
      const base = hashOf(original);
      const pretty = JSON.stringify(doc, null, 2);
      expect(hashOf(JSON.stringify(doc))).toBe(base);
      expect(hashOf(JSON.stringify(reverseKeys(doc), null, 4))).toBe(base);
      expect(hashOf(`\uFEFF${pretty}`)).toBe(base);
      expect(hashOf(pretty.replaceAll("\n", "\r\n"))).toBe(base);
      expect(hashOf(`\uFEFF${JSON.stringify(reverseKeys(doc), null, "\t").replaceAll("\n", "\r\n")}`)).toBe(
        base,
      );
    });

    it("should change when any value changes, even deep inside a finding", () => {
      const changed = structuredClone(doc);
      changed.Results[0].Vulnerabilities[1].References.push("https://example.com/new");
      expect(hashOf(JSON.stringify(changed))).not.toBe(hashOf(original));
      const reordered = structuredClone(doc);
      reordered.Results[0].Vulnerabilities.reverse();
      expect(hashOf(JSON.stringify(reordered))).not.toBe(hashOf(original));
    });

    it("should differ between image names for the same content", () => {
      expect(hashOf(original, "other/image:1")).not.toBe(hashOf(original));
      expect(hashOf(original, doc.ArtifactName)).toBe(hashOf(original));
    });

    it("should tell an empty legacy report (null) from an empty array", () => {
      expect(hashOf("null", "a")).not.toBe(hashOf("[]", "a"));
    });
  });

  describe("findings", () => {
    it("should store every vulnerability entry and nothing from ExperimentalModifiedFindings", () => {
      const doc = JSON.parse(readTrivyFixture(ALPINE).toString());
      const suppressed = structuredClone(doc.Results[0].Vulnerabilities[0]);
      suppressed.VulnerabilityID = "CVE-2099-0001";
      doc.Results[0].ExperimentalModifiedFindings = [
        {
          Type: "vulnerability",
          Status: "ignored",
          Statement: "not reachable",
          Source: ".trivyignore",
          Finding: suppressed,
        },
      ];
      const parsed = parseTrivyReport(Buffer.from(JSON.stringify(doc)));
      expect(parsed.findings).toHaveLength(doc.Results[0].Vulnerabilities.length);
      expect(parsed.findings.map((f) => f.vulnerabilityId)).not.toContain("CVE-2099-0001");
    });

    it("should store exact repeats once and keep the fuller of two conflicting rows", () => {
      const vuln = {
        VulnerabilityID: "CVE-2018-6797",
        PkgName: "perl",
        InstalledVersion: "5.20.2-3",
        Severity: "HIGH",
      };
      const report = [
        {
          Target: "img:1 (debian 8.9)",
          Vulnerabilities: [
            vuln,
            vuln,
            { ...vuln, FixedVersion: "5.20.2-3+deb8u10" },
            { ...vuln, PkgName: "perl-base" },
          ],
        },
      ];
      const parsed = parseTrivyReport(Buffer.from(JSON.stringify(report)));
      expect(parsed.entriesSeen).toBe(4);
      expect(parsed.findings).toHaveLength(2);
      expect(parsed.findings.find((f) => f.pkgName === "perl")?.fixedVersion).toBe("5.20.2-3+deb8u10");
      expect(parsed.scan.severityCounts.HIGH).toBe(2);
    });

    it("should tell copies of one package apart by PkgPath and by target", () => {
      const vuln = {
        VulnerabilityID: "CVE-2021-1",
        PkgName: "ajv",
        InstalledVersion: "6.0.0",
        Severity: "LOW",
      };
      const report = {
        SchemaVersion: 2,
        ArtifactName: "app",
        Results: [
          {
            Target: "Node.js",
            Vulnerabilities: [
              { ...vuln, PkgPath: "a/package.json" },
              { ...vuln, PkgPath: "b/package.json" },
            ],
          },
          { Target: "other", Vulnerabilities: [{ ...vuln, PkgPath: "a/package.json" }] },
        ],
      };
      expect(parseTrivyReport(Buffer.from(JSON.stringify(report))).findings).toHaveLength(3);
    });

    it("should keep cve_data equal to the original vulnerability object", () => {
      const doc = JSON.parse(readTrivyFixture(ALPINE).toString());
      const parsed = parseTrivyReport(readTrivyFixture(ALPINE));
      const original = doc.Results[0].Vulnerabilities[0];
      expect(JSON.parse(parsed.findings[0]?.cveDataJson ?? "null")).toEqual(original);
      expect(parsed.findings[0]?.severity).toBe(original.Severity);
      expect(parsed.findings[0]?.purl).toBe(original.PkgIdentifier.PURL);
    });

    it("should replace NUL characters and lone surrogates, which PostgreSQL cannot store", () => {
      const report = [
        {
          Target: "t",
          Vulnerabilities: [
            {
              VulnerabilityID: "CVE-1",
              PkgName: "p",
              InstalledVersion: "1",
              Severity: "LOW",
              Title: "a\u0000b",
              Description: "x\ud800y",
            },
          ],
        },
      ];
      const [finding] = parseTrivyReport(Buffer.from(JSON.stringify(report))).findings;
      expect(finding?.title).toBe("a\uFFFDb");
      expect(finding?.cveDataJson).not.toMatch(/\\u0000|\\ud800/);
      expect(JSON.parse(finding?.cveDataJson ?? "{}").Description).toBe("x\uFFFDy");
    });

    it("should default a missing severity to UNKNOWN and accept lower-case severities", () => {
      const report = [
        {
          Target: "t",
          Vulnerabilities: [
            { VulnerabilityID: "A", PkgName: "p" },
            { VulnerabilityID: "B", PkgName: "p", Severity: "high" },
          ],
        },
      ];
      const findings = parseTrivyReport(Buffer.from(JSON.stringify(report))).findings;
      expect(findings.map((f) => f.severity)).toEqual(["UNKNOWN", "HIGH"]);
    });
  });

  describe("scan metadata", () => {
    it("should derive image name and OS from a legacy OS target", () => {
      const parsed = parseTrivyReport(readTrivyFixture("trivy/v0.19.2/alpine-310.json.golden"));
      expect(parsed.scan).toMatchObject({
        reportFormat: "legacy",
        imageName: "testdata/fixtures/images/alpine-310.tar.gz",
        osFamily: "alpine",
        osName: "3.10.2",
        schemaVersion: null,
      });
    });

    it("should read an OS name that holds parentheses", () => {
      const report = [{ Target: "disk.img (amazon 2 (Karoo))", Vulnerabilities: null }];
      expect(parseTrivyReport(Buffer.from(JSON.stringify(report))).scan).toMatchObject({
        imageName: "disk.img",
        osFamily: "amazon",
        osName: "2 (Karoo)",
      });
    });

    it("should leave the image name empty when nothing names the image", () => {
      expect(parseTrivyReport(Buffer.from("null")).scan.imageName).toBeNull();
      const report = { SchemaVersion: 2, ArtifactName: "", Results: [] };
      expect(parseTrivyReport(Buffer.from(JSON.stringify(report))).scan.imageName).toBeNull();
    });

    it("should read SV2 metadata", () => {
      const parsed = parseTrivyReport(readTrivyFixture("trivy/main/amazon-2.json.golden"));
      expect(parsed.scan).toMatchObject({
        reportFormat: "v2",
        schemaVersion: 2,
        osFamily: "amazon",
        osName: "2 (Karoo)",
      });
      expect(parsed.scan.reportCreatedAt).toBe("2021-08-25T12:20:30.000Z");
      expect(parsed.scan.trivyVersion).toBe("dev");
    });
  });

  describe("refusals", () => {
    it.each([
      ["{", MalformedJsonError, /not valid JSON/],
      ["", MalformedJsonError, /empty/],
      ['"text"', InvalidReportError, /got a string/],
      ["{}", InvalidReportError, /SchemaVersion is missing/],
      ['{"SchemaVersion":3}', InvalidReportError, /SchemaVersion 3 is not supported/],
      ['{"ClusterName":"prod","Resources":[]}', UnsupportedReportError, /trivy k8s/],
      ['{"version":"2.1.0","runs":[]}', UnsupportedReportError, /SARIF/],
      [
        '[{"Target":"t","Vulnerabilities":[{"PkgName":"p","Severity":5}]}]',
        InvalidReportError,
        /^\[0\]\.Vulnerabilities\[0\]\.Severity must be a string$/,
      ],
      [
        '{"SchemaVersion":2,"Results":[{"Target":"t","Vulnerabilities":[{"PkgName":"p"},{"VulnerabilityID":"x"}]}]}',
        InvalidReportError,
        /^Results\[0\]\.Vulnerabilities\[1\]\.PkgName is required$/,
      ],
    ])("should refuse %s", (body, errorClass, message) => {
      expect(() => parseTrivyReport(Buffer.from(body))).toThrow(errorClass);
      expect(() => parseTrivyReport(Buffer.from(body))).toThrow(message);
    });

    it("should refuse deeply nested JSON without overflowing the stack", () => {
      const deep = `{"SchemaVersion":2,"Metadata":{"x":${"[".repeat(100_000)}${"]".repeat(100_000)}}}`;
      expect(() => parseTrivyReport(Buffer.from(deep))).toThrow(/nested more than/);
    });
  });
});
