import { isUtf8 } from "node:buffer";
import { createHash, hash } from "node:crypto";
import type { NewFinding } from "@vulntriage/db";
import { InvalidReportError, MalformedJsonError, UnsupportedReportError } from "../errors.js";
import { imageNameProblem } from "../scans/image-name.js";
import { canonicalJson, canonicalObject, compareKeys } from "./canonical-json.js";
import { SEVERITIES, type Severity, severityRank } from "./severity.js";
import { cleanText, hasUnstorableText, storableJson } from "./storable-text.js";

type ReportFormat = "v2" | "legacy";

export type ParsedScan = {
  reportHash: string;
  imageName: string | null;
  artifactName: string | null;
  artifactType: string | null;
  osFamily: string | null;
  osName: string | null;
  osEosl: boolean | null;
  schemaVersion: number | null;
  reportFormat: ReportFormat;
  trivyVersion: string | null;
  reportCreatedAt: string | null;
  findingCount: number;
  severityCounts: Record<Severity, number>;
  /** Entries of the results' Misconfigurations, Secrets and Licenses: in the report, not findings. */
  skipped: SkippedCounts;
};

type SkippedCounts = { misconfigurations: number; secrets: number; licenses: number };

/** A finding as the COPY writes it, with the severity narrowed to Trivy's five. */
export type ParsedFinding = NewFinding & { severity: Severity };

export type ParsedReport = {
  scan: ParsedScan;
  findings: ParsedFinding[];
  /** Vulnerability entries seen, before exact repeats were merged. */
  entriesSeen: number;
};

export type ParseReportOptions = {
  /** Overrides or fills the image name (legacy reports have none). */
  imageName?: string | undefined;
};

const MAX_ID_LENGTH = 1024;
// JSON text can never contain a raw NUL, so this cannot collide with serialised content.
const VULNERABILITIES_PLACEHOLDER = "\u0000vulnerabilities\u0000";
const BOM = 0xfeff;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export type ReportReader = {
  /** New findings in report order, in batches; throws on the first invalid entry. */
  batches: () => Generator<ParsedFinding[]>;
  /** After every batch was read: the scan, and rows that replace already emitted duplicates. */
  finish: () => { scan: ParsedScan; replacements: ParsedFinding[]; entriesSeen: number };
};

/**
 * Turns the bytes of a `trivy -f json` report into a scan summary and its findings, validating
 * every field it stores. Throws MalformedJsonError (not JSON), InvalidReportError (JSON that is
 * not a usable Trivy report) or UnsupportedReportError (a Trivy output we do not ingest).
 */
export function parseTrivyReport(body: Buffer, options: ParseReportOptions = {}): ParsedReport {
  const reader = readTrivyReport(body, options);
  for (const _batch of reader.batches()) {
    // findings are collected by the reader; the batches only pace a streaming consumer
  }
  const { scan, entriesSeen } = reader.finish();
  return { scan, findings: reader.findings(), entriesSeen };
}

/**
 * The streaming form of parseTrivyReport: shape errors are thrown at once, findings are validated
 * and handed out batch by batch (so they can be written while the rest is read), and the report
 * hash is complete only when every batch was taken.
 */
export function readTrivyReport(
  body: Buffer,
  options: ParseReportOptions = {},
  batchSize = 500,
): ReportReader & { findings: () => ParsedFinding[] } {
  const doc = decodeJson(body);
  const shape = detectShape(doc);
  const results = shape.results;

  const os = shape.format === "v2" ? readOs(shape.report) : undefined;
  const legacyOs = os ? undefined : osFromTargets(results);
  const artifactName = shape.format === "v2" ? optionalString(shape.report, "ArtifactName", "") : null;
  const artifactNameProblem = artifactName ? imageNameProblem(artifactName) : undefined;
  if (artifactNameProblem) throw new InvalidReportError(`ArtifactName ${artifactNameProblem}`);
  const imageName = options.imageName || artifactName || legacyOs?.imageName || null;
  const report = shape.format === "v2" ? shape.report : undefined;
  const trivyVersion = report ? readTrivyVersion(report) : null;
  const reportCreatedAt = report ? readCreatedAt(report) : null;
  const artifactType = report ? optionalString(report, "ArtifactType", "") : null;

  const hasher = createHash("sha256");
  const findingsByIdentity = new Map<string, ParsedFinding>();
  const replacements = new Map<string, ParsedFinding>();
  let entriesSeen = 0;
  const skipped: SkippedCounts = { misconfigurations: 0, secrets: 0, licenses: 0 };
  let done = false;

  // The report's canonical JSON goes into the hash piece by piece, in canonical order, as it is read.
  function* readResults(): Generator<ParsedFinding[]> {
    let batch: ParsedFinding[] = [];
    hasher.update("[");
    for (let r = 0; r < results.length; r++) {
      const result = results[r];
      const path = `${shape.resultsPath}[${r}]`;
      if (!isObject(result)) throw new InvalidReportError(`${path} must be an object`);
      const target = optionalString(result, "Target", path) ?? "";
      const resultClass = optionalString(result, "Class", path);
      const resultType = optionalString(result, "Type", path);
      skipped.misconfigurations += entryCount(result.Misconfigurations);
      skipped.secrets += entryCount(result.Secrets);
      skipped.licenses += entryCount(result.Licenses);
      const vulnerabilities = result.Vulnerabilities;
      if (vulnerabilities !== undefined && vulnerabilities !== null && !Array.isArray(vulnerabilities)) {
        throw new InvalidReportError(`${path}.Vulnerabilities must be an array or null`);
      }
      const [before, after] = canonicalObject(result, (key, value) =>
        key === "Vulnerabilities" && Array.isArray(value)
          ? VULNERABILITIES_PLACEHOLDER
          : canonicalJson(value, 3),
      ).split(VULNERABILITIES_PLACEHOLDER);
      hasher.update(r > 0 ? `,${before}` : (before as string));
      if (after === undefined) continue;

      hasher.update("[");
      const list = vulnerabilities as Json[];
      for (let v = 0; v < list.length; v++) {
        const vulnPath = `${path}.Vulnerabilities[${v}]`;
        const vuln = list[v];
        if (!isObject(vuln)) throw new InvalidReportError(`${vulnPath} must be an object`);
        const canonical = canonicalJson(vuln, 4);
        hasher.update(v > 0 ? `,${canonical}` : canonical);
        entriesSeen++;
        const finding = readFinding(vuln, vulnPath, canonical, target, resultClass, resultType);
        const existing = findingsByIdentity.get(finding.identityHash);
        if (!existing) {
          findingsByIdentity.set(finding.identityHash, finding);
          batch.push(finding);
          if (batch.length >= batchSize) {
            yield batch;
            batch = [];
          }
        } else if (existing.fixedVersion === null && finding.fixedVersion !== null) {
          // Old Trivy wrote some rows twice, once without FixedVersion: keep the fuller one.
          findingsByIdentity.set(finding.identityHash, finding);
          replacements.set(finding.identityHash, finding);
        }
      }
      hasher.update(`]${after}`);
    }
    hasher.update("]");
    if (batch.length > 0) yield batch;
  }

  function* batches(): Generator<ParsedFinding[]> {
    if (shape.format === "legacy") {
      if (doc === null) hasher.update("null");
      else yield* readResults();
    } else {
      hasher.update("{");
      const keys = Object.keys(shape.report).sort(compareKeys);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        const value = shape.report[key];
        hasher.update(`${i > 0 ? "," : ""}${JSON.stringify(key)}:`);
        if (key === "Results" && Array.isArray(value)) yield* readResults();
        else hasher.update(canonicalJson(value, 1));
      }
      hasher.update("}");
    }
    done = true;
  }

  const finish = () => {
    if (!done) throw new Error("finish() called before every batch was read");
    const contentHash = hasher.digest("hex");
    // The same report filed under another image name is another scan.
    const reportHash = createHash("sha256")
      .update(`${JSON.stringify(imageName)}\n${contentHash}`)
      .digest("hex");
    const severityCounts = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 } as Record<
      Severity,
      number
    >;
    for (const finding of findingsByIdentity.values()) severityCounts[finding.severity]++;
    const scan: ParsedScan = {
      reportHash,
      imageName: imageName === null ? null : cleanText(imageName),
      artifactName: artifactName === null ? null : cleanText(artifactName),
      artifactType,
      osFamily: os?.family ?? legacyOs?.family ?? null,
      osName: os?.name ?? legacyOs?.name ?? null,
      osEosl: os?.eosl ?? null,
      schemaVersion: shape.format === "v2" ? 2 : null,
      reportFormat: shape.format,
      trivyVersion,
      reportCreatedAt,
      findingCount: findingsByIdentity.size,
      severityCounts,
      skipped,
    };
    return { scan, replacements: [...replacements.values()], entriesSeen };
  };

  return { batches, finish, findings: () => [...findingsByIdentity.values()] };
}

// Only counted, never stored: a malformed list there is no reason to refuse the vulnerabilities.
function entryCount(value: Json | undefined): number {
  return Array.isArray(value) ? value.length : 0;
}

function decodeJson(body: Buffer): Json {
  if (!isUtf8(body)) throw new MalformedJsonError("the body is not valid UTF-8 text");
  let text = body.toString("utf8");
  // Reports written from Windows shells start with a byte-order mark, which JSON.parse rejects.
  if (text.charCodeAt(0) === BOM) text = text.slice(1);
  if (text.trim() === "")
    throw new MalformedJsonError("the body is empty; send the JSON of `trivy image -f json`");
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new MalformedJsonError(`the body is not valid JSON: ${reason}`);
  }
}

type Shape =
  | { format: "v2"; report: JsonObject; results: Json[]; resultsPath: string }
  | { format: "legacy"; results: Json[]; resultsPath: string };

function detectShape(doc: Json): Shape {
  // Trivy before 0.20 wrote a bare array of results, and `null` when it found no targets.
  if (doc === null) return { format: "legacy", results: [], resultsPath: "" };
  if (Array.isArray(doc)) return { format: "legacy", results: doc, resultsPath: "" };
  if (!isObject(doc)) {
    throw new InvalidReportError(
      `a Trivy report is a JSON object with SchemaVersion 2 (or, before Trivy 0.20, an array of results); got ${describe(doc)}`,
    );
  }
  if ("SchemaVersion" in doc) {
    if (doc.SchemaVersion !== 2) {
      throw new InvalidReportError(
        `SchemaVersion ${JSON.stringify(doc.SchemaVersion)} is not supported; vulntriage reads SchemaVersion 2`,
      );
    }
    const results = doc.Results;
    if (results !== undefined && results !== null && !Array.isArray(results)) {
      throw new InvalidReportError("Results must be an array");
    }
    return { format: "v2", report: doc, results: results ?? [], resultsPath: "Results" };
  }
  if ("ClusterName" in doc || "Resources" in doc) {
    throw new UnsupportedReportError(
      "this is a `trivy k8s` cluster report, which vulntriage does not ingest; upload one `trivy image -f json` report per image instead",
    );
  }
  if ("runs" in doc && "version" in doc) {
    throw new UnsupportedReportError(
      "this is a SARIF report; upload the output of `trivy image -f json` instead",
    );
  }
  if ("bomFormat" in doc || "spdxVersion" in doc) {
    throw new UnsupportedReportError(
      "this is an SBOM, not a vulnerability report; upload `trivy image -f json` output",
    );
  }
  throw new InvalidReportError(
    "not a Trivy report: SchemaVersion is missing (expected a JSON object with SchemaVersion 2 and Results)",
  );
}

function readFinding(
  vuln: JsonObject,
  path: string,
  canonical: string,
  target: string,
  resultClass: string | null,
  resultType: string | null,
): ParsedFinding {
  const needsCleaning = hasUnstorableText(canonical);
  const text = (key: string): string | null => {
    const value = optionalString(vuln, key, path);
    return value !== null && needsCleaning ? cleanText(value) : value;
  };
  const vulnerabilityId = text("VulnerabilityID");
  if (vulnerabilityId !== null && vulnerabilityId.length > MAX_ID_LENGTH) {
    throw new InvalidReportError(`${path}.VulnerabilityID is longer than ${MAX_ID_LENGTH} characters`);
  }
  const pkgName = text("PkgName");
  if (pkgName === null) throw new InvalidReportError(`${path}.PkgName is required`);
  const installedVersion = text("InstalledVersion");
  const pkgPath = text("PkgPath");
  const severity = readSeverity(vuln, path);

  const identifier = vuln.PkgIdentifier;
  let purl: string | null = null;
  if (identifier !== undefined && identifier !== null) {
    if (!isObject(identifier)) throw new InvalidReportError(`${path}.PkgIdentifier must be an object`);
    purl = optionalString(identifier, "PURL", `${path}.PkgIdentifier`);
  }

  const cvss = vuln.CVSS;
  if (cvss !== undefined && cvss !== null && !isObject(cvss)) {
    throw new InvalidReportError(`${path}.CVSS must be an object`);
  }
  const cweIds = readStringArray(vuln, "CweIDs", path);

  const cleanTarget = needsCleaning ? cleanText(target) : target;
  const identityHash = hash(
    "sha256",
    JSON.stringify([cleanTarget, vulnerabilityId, pkgName, installedVersion, pkgPath]),
  );

  return {
    identityHash,
    vulnerabilityId,
    pkgName,
    pkgId: text("PkgID"),
    purl: purl !== null && needsCleaning ? cleanText(purl) : purl,
    installedVersion,
    fixedVersion: text("FixedVersion"),
    status: text("Status"),
    severity,
    severityRank: severityRank(severity),
    target: cleanTarget,
    class: resultClass,
    type: resultType,
    pkgPath,
    title: text("Title"),
    primaryUrl: text("PrimaryURL"),
    cvssJson: cvss ? storableJson(canonicalJson(cvss, 5), needsCleaning, cvss) : null,
    cweIds: cweIds && needsCleaning ? cweIds.map(cleanText) : cweIds,
    cveDataJson: storableJson(canonical, needsCleaning, vuln),
  };
}

function readSeverity(vuln: JsonObject, path: string): Severity {
  const value = vuln.Severity;
  // Trivy's own default for an advisory without a rating.
  if (value === undefined || value === null) return "UNKNOWN";
  if (typeof value !== "string") throw new InvalidReportError(`${path}.Severity must be a string`);
  const upper = value.toUpperCase();
  if (!(SEVERITIES as readonly string[]).includes(upper)) {
    throw new InvalidReportError(
      `${path}.Severity must be one of ${SEVERITIES.join(", ")}; got ${JSON.stringify(value.slice(0, 40))}`,
    );
  }
  return upper as Severity;
}

function readOs(
  report: JsonObject,
): { family: string | null; name: string | null; eosl: boolean | null } | undefined {
  const metadata = report.Metadata;
  if (metadata === undefined || metadata === null) return undefined;
  if (!isObject(metadata)) throw new InvalidReportError("Metadata must be an object");
  const os = metadata.OS;
  if (os === undefined || os === null) return undefined;
  if (!isObject(os)) throw new InvalidReportError("Metadata.OS must be an object");
  const eosl = os.EOSL;
  if (eosl !== undefined && eosl !== null && typeof eosl !== "boolean") {
    throw new InvalidReportError("Metadata.OS.EOSL must be a boolean");
  }
  const family = optionalString(os, "Family", "Metadata.OS");
  const name = optionalString(os, "Name", "Metadata.OS");
  return {
    family: family ? cleanText(family) : null,
    name: name ? cleanText(name) : null,
    eosl: typeof eosl === "boolean" ? eosl : null,
  };
}

// "python:3 (debian 10.2)", "disk.img (amazon 2 (Karoo))": the image, then the OS family and release.
const OS_TARGET = /^(.+?) \(([a-z][a-z0-9.-]*) ([^()]*(?:\([^()]*\))?[^()]*)\)$/;

function osFromTargets(results: Json[]): { imageName: string; family: string; name: string } | undefined {
  for (const result of results) {
    if (!isObject(result) || typeof result.Target !== "string") continue;
    if (result.Class !== undefined && result.Class !== "os-pkgs") continue;
    const match = OS_TARGET.exec(result.Target);
    if (match && !imageNameProblem(match[1] as string))
      return { imageName: match[1] as string, family: match[2] as string, name: match[3] as string };
  }
  return undefined;
}

function readTrivyVersion(report: JsonObject): string | null {
  const trivy = report.Trivy;
  if (trivy === undefined || trivy === null) return null;
  if (!isObject(trivy)) throw new InvalidReportError("Trivy must be an object");
  return optionalString(trivy, "Version", "Trivy");
}

const GO_ZERO_TIME = Date.parse("0001-01-01T00:00:00Z");
const EARLIEST_CREATED_AT = Date.parse("0100-01-01T00:00:00.000Z");
const LATEST_CREATED_AT = Date.parse("9999-12-31T23:59:59.999Z");

function readCreatedAt(report: JsonObject): string | null {
  const createdAt = optionalString(report, "CreatedAt", "");
  if (createdAt === null) return null;
  const time = Date.parse(createdAt);
  if (Number.isNaN(time)) throw new InvalidReportError("CreatedAt must be an RFC 3339 timestamp");
  // Go writes an unset time as its zero value: no date, not a date in year 1.
  if (time === GO_ZERO_TIME) return null;
  // RFC 3339 years have four digits, and years before 100 come back from the database as 19xx or
  // 20xx (the driver's date parsing); JavaScript and PostgreSQL reach much further either way.
  if (time < EARLIEST_CREATED_AT || time > LATEST_CREATED_AT) {
    throw new InvalidReportError(
      `CreatedAt ${JSON.stringify(createdAt.slice(0, 40))} is out of range: a report date lies in the years 0100 to 9999`,
    );
  }
  return new Date(time).toISOString();
}

function optionalString(object: JsonObject, key: string, path: string): string | null {
  const value = object[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") {
    throw new InvalidReportError(`${path ? `${path}.` : ""}${key} must be a string`);
  }
  return value;
}

function readStringArray(object: JsonObject, key: string, path: string): string[] | null {
  const value = object[key];
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw new InvalidReportError(`${path}.${key} must be an array of strings`);
  for (let i = 0; i < value.length; i++) {
    if (typeof value[i] !== "string") throw new InvalidReportError(`${path}.${key}[${i}] must be a string`);
  }
  return value as string[];
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: Json): string {
  return Array.isArray(value) ? "an array" : value === null ? "null" : `a ${typeof value}`;
}
