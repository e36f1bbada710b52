import { InvalidReportError } from "../errors.js";

// Real Trivy reports nest about 10 levels; anything far deeper is hostile or not a report.
const MAX_JSON_DEPTH = 64;

// The canonical key order: Trivy's own struct field order for the keys it writes (so reports as
// Trivy writes them are already canonical and serialise at native JSON.stringify speed), then any
// other key by UTF-16 code units (Go writes map keys sorted, so CVSS sources etc. already are).
const TRIVY_FIELD_ORDER = [
  // report
  "SchemaVersion",
  "Trivy",
  "ReportID",
  "CreatedAt",
  "ArtifactID",
  "ArtifactName",
  "ArtifactType",
  "Metadata",
  "Results",
  // metadata, OS
  "Size",
  "OS",
  "Family",
  "ImageID",
  "DiffIDs",
  "RepoTags",
  "RepoDigests",
  "Reference",
  "ImageConfig",
  "Layers",
  // result
  "Target",
  "Class",
  "Type",
  "Packages",
  "Vulnerabilities",
  "MisconfSummary",
  "Misconfigurations",
  "Secrets",
  "Licenses",
  "CustomResources",
  "ExperimentalModifiedFindings",
  // vulnerability and its nested objects
  "VulnerabilityID",
  "VendorIDs",
  "PkgID",
  "PkgName",
  "PkgPath",
  "PkgIdentifier",
  "PURL",
  "UID",
  "BOMRef",
  "InstalledVersion",
  "FixedVersion",
  "Status",
  "Layer",
  "Digest",
  "DiffID",
  "SeveritySource",
  "PrimaryURL",
  "Ref",
  "DataSource",
  "ID",
  "Name",
  "URL",
  "EOSL",
  "Fingerprint",
  "Title",
  "Description",
  "Severity",
  "CweIDs",
  "VendorSeverity",
  "CVSS",
  "V2Vector",
  "V3Vector",
  "V40Vector",
  "V2Score",
  "V3Score",
  "V40Score",
  "References",
  "PublishedDate",
  "LastModifiedDate",
  "Custom",
  "Version",
];
const RANK = new Map(TRIVY_FIELD_ORDER.map((key, index) => [key, index]));

/** Whether key `a` sorts before key `b` in the canonical order (keys are unique within an object). */
function precedes(a: string, b: string): boolean {
  const rankA = RANK.get(a);
  const rankB = RANK.get(b);
  if (rankA !== undefined) return rankB === undefined || rankA < rankB;
  if (rankB !== undefined) return false;
  return a < b;
}

export function compareKeys(a: string, b: string): number {
  return a === b ? 0 : precedes(a, b) ? -1 : 1;
}

function tooDeep(): never {
  throw new InvalidReportError(`the report is nested more than ${MAX_JSON_DEPTH} levels deep`);
}

/** True when every object in `value` already lists its keys in canonical order. */
function isCanonicallyOrdered(value: unknown, depth: number): boolean {
  if (depth >= MAX_JSON_DEPTH) tooDeep();
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (typeof item === "object" && item !== null && !isCanonicallyOrdered(item, depth + 1)) return false;
    }
    return true;
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (i > 0 && !precedes(keys[i - 1] as string, key)) return false;
    const child = object[key];
    if (typeof child === "object" && child !== null && !isCanonicallyOrdered(child, depth + 1)) return false;
  }
  return true;
}

/**
 * Deterministic JSON text of a JSON.parse result that depends only on its content: objects list
 * their keys in the canonical order above, without whitespace, so neither the input's key order
 * nor its formatting changes the output. Strings and numbers are written as JSON.stringify writes
 * them.
 */
export function canonicalJson(value: unknown, depth = 0): string {
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  if (isCanonicallyOrdered(value, depth)) return JSON.stringify(value);
  if (Array.isArray(value)) {
    const items = new Array<string>(value.length);
    for (let i = 0; i < value.length; i++) items[i] = canonicalJson(value[i], depth + 1);
    return `[${items.join(",")}]`;
  }
  const object = value as Record<string, unknown>;
  return canonicalObject(object, (_key, child) => canonicalJson(child, depth + 1));
}

/** Serialises one object in canonical key order, letting the caller serialise each value. */
export function canonicalObject<T>(
  object: Record<string, T>,
  serialise: (key: string, value: T) => string,
): string {
  const keys = Object.keys(object).sort(compareKeys);
  const parts = new Array<string>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    parts[i] = `${JSON.stringify(key)}:${serialise(key, object[key] as T)}`;
  }
  return `{${parts.join(",")}}`;
}
