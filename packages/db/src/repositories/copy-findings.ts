import { once } from "node:events";
import { getTableName } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { containerFindings as f } from "../schema/index.js";
import { copyJson, copyText, copyTextArray } from "./copy-text.js";

type FindingColumns = typeof f.$inferInsert;

/** A finding as the report parser hands it over: table columns, with its JSON already serialised. */
export type NewFinding = Required<
  Pick<
    FindingColumns,
    | "identityHash"
    | "vulnerabilityId"
    | "pkgName"
    | "pkgId"
    | "purl"
    | "installedVersion"
    | "fixedVersion"
    | "status"
    | "severity"
    | "severityRank"
    | "target"
    | "class"
    | "type"
    | "pkgPath"
    | "title"
    | "primaryUrl"
    | "cweIds"
  >
> & { cvssJson: string | null; cveDataJson: string };

// The column each field fills, in COPY order. Names and encodings come from the table definition,
// so the COPY cannot drift from the schema; `satisfies` fails the build when a field has none.
const COPIED = {
  identityHash: f.identityHash,
  vulnerabilityId: f.vulnerabilityId,
  pkgName: f.pkgName,
  pkgId: f.pkgId,
  purl: f.purl,
  installedVersion: f.installedVersion,
  fixedVersion: f.fixedVersion,
  status: f.status,
  severity: f.severity,
  severityRank: f.severityRank,
  target: f.target,
  class: f.class,
  type: f.type,
  pkgPath: f.pkgPath,
  title: f.title,
  primaryUrl: f.primaryUrl,
  cvssJson: f.cvss,
  cweIds: f.cweIds,
  cveDataJson: f.cveData,
} satisfies { [K in keyof NewFinding]-?: PgColumn };

type Encoder = (value: never) => string;

function encoderFor(column: PgColumn): Encoder {
  switch (column.columnType) {
    case "PgText":
      return copyText as Encoder;
    case "PgJsonb":
      return copyJson as Encoder;
    case "PgArray":
      return copyTextArray as Encoder;
    case "PgSmallInt":
    case "PgInteger":
      return String as Encoder;
    default:
      throw new Error(`no COPY encoding for ${column.name} (${column.columnType})`);
  }
}

const FIELDS = Object.keys(COPIED) as (keyof NewFinding)[];
const ENCODERS = Object.values(COPIED).map(encoderFor);
const COLUMN_LIST = [f.scanId, ...Object.values(COPIED), f.llmAnalysisStatus].map((c) => c.name).join(", ");

function copyRow(finding: NewFinding): string {
  let row = "";
  for (let i = 0; i < FIELDS.length; i++) {
    row += `${(ENCODERS[i] as (value: unknown) => string)(finding[FIELDS[i] as keyof NewFinding])}\t`;
  }
  return row;
}

// Lets the row builder run ahead of PostgreSQL instead of waiting for each chunk to be consumed.
const COPY_BUFFER_BYTES = 16 * 1024 * 1024;

/** COPY text for one batch of a scan's findings: what copyFindings streams, built anywhere (a parse thread). */
export function encodeFindingRows(
  scanId: number,
  batch: readonly NewFinding[],
  pendingUpToRank: number | null,
): string {
  const prefix = `${scanId}\t`;
  let chunk = "";
  for (const finding of batch) {
    const pending = pendingUpToRank !== null && finding.severityRank <= pendingUpToRank;
    chunk += `${prefix}${copyRow(finding)}${pending ? "pending" : "\\N"}\n`;
  }
  return chunk;
}

/** Findings as batches of rows, or as COPY text chunks already encoded for this scan. */
export type FindingSource =
  | Iterable<NewFinding[]>
  | ((scanId: number, pendingUpToRank: number | null) => AsyncIterable<string>);

async function* encoded(
  source: Iterable<NewFinding[]>,
  scanId: number,
  pendingUpToRank: number | null,
): AsyncGenerator<string> {
  for (const batch of source) {
    yield encodeFindingRows(scanId, batch, pendingUpToRank);
    // Let the socket flush (and other requests run) while the next batch is built.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Streams findings into one COPY on `connection` (inside its transaction). A source that throws
 * sends CopyFail, so PostgreSQL discards the rows and the transaction can be rolled back.
 */
export async function copyFindings(
  connection: pg.ClientBase,
  scanId: number,
  source: FindingSource,
  pendingUpToRank: number | null,
): Promise<void> {
  const stream = connection.query(
    copyFrom(`copy ${getTableName(f)} (${COLUMN_LIST}) from stdin`, { highWaterMark: COPY_BUFFER_BYTES }),
  );
  const finished = new Promise<void>((resolve, reject) => {
    stream.on("finish", resolve);
    stream.on("error", reject);
  });
  // A failed COPY rejects `finished` before anyone awaits it; the rejection is read below.
  finished.catch(() => {});
  const chunks =
    typeof source === "function" ? source(scanId, pendingUpToRank) : encoded(source, scanId, pendingUpToRank);
  try {
    for await (const chunk of chunks) {
      if (!stream.write(chunk)) await Promise.race([once(stream, "drain"), finished]);
    }
  } catch (error) {
    stream.destroy(error as Error);
    await finished.catch(() => {});
    throw error;
  }
  stream.end();
  await finished;
}
