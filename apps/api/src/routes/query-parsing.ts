import { InvalidRequestError, isSeverity, type ScanIdentifier, type Severity } from "@vulntriage/core";

const TRIVY_STATUSES = [
  "unknown",
  "not_affected",
  "affected",
  "fixed",
  "under_investigation",
  "will_not_fix",
  "fix_deferred",
  "end_of_life",
];

/** Numbers are scan ids; anything else is an image name meaning its latest scan. */
export function parseScanIdentifier(identifier: string): ScanIdentifier {
  if (/^\d+$/.test(identifier)) {
    const scanId = Number(identifier);
    if (!Number.isSafeInteger(scanId)) throw new InvalidRequestError(`scan id ${identifier} is out of range`);
    return { scanId };
  }
  return { imageName: identifier };
}

export function parseSeverities(raw: string | undefined): Severity[] | undefined {
  const values = splitList(raw)?.map((s) => s.toUpperCase());
  for (const value of values ?? []) {
    if (!isSeverity(value)) {
      throw new InvalidRequestError(
        `severity ${JSON.stringify(value)} is not one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN`,
      );
    }
  }
  return values as Severity[] | undefined;
}

export function parseStatuses(raw: string | undefined): string[] | undefined {
  const values = splitList(raw)?.map((s) => s.toLowerCase());
  for (const value of values ?? []) {
    if (!TRIVY_STATUSES.includes(value)) {
      throw new InvalidRequestError(
        `status ${JSON.stringify(value)} is not one of ${TRIVY_STATUSES.join(", ")}`,
      );
    }
  }
  return values;
}

function splitList(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const values = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return values.length > 0 ? values : undefined;
}
