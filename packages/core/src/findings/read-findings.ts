import { findFindingById, listFindings } from "@vulntriage/db";
import type { ServiceContext } from "../context.js";
import { NotFoundError } from "../errors.js";
import { resolveScan, type ScanIdentifier } from "../scans/resolve-scan.js";
import type { Severity } from "../trivy/severity.js";
import { verb } from "../verb.js";
import { type FindingDetailDto, type FindingPage, toFindingDetailDto, toFindingDto } from "./finding-dto.js";

export const listScanFindings = verb(async function listScanFindings(args: {
  ctx: ServiceContext;
  input: {
    scan: ScanIdentifier;
    severities?: Severity[] | undefined;
    statuses?: string[] | undefined;
    sort?: "severity" | "risk" | undefined;
    kev?: boolean | undefined;
    minEpss?: number | undefined;
    minRisk?: number | undefined;
    limit: number;
    offset: number;
  };
}): Promise<FindingPage> {
  const { ctx, input } = args;
  const { db } = ctx;
  const scan = await resolveScan(db, input.scan);
  const { rows, total } = await listFindings(db, {
    scanId: scan.id,
    severities: input.severities,
    statuses: input.statuses,
    sort: input.sort ?? "severity",
    kev: input.kev,
    minEpss: input.minEpss,
    minRisk: input.minRisk,
    limit: input.limit,
    offset: input.offset,
  });
  return { scan_id: scan.id, items: rows.map(toFindingDto), total, limit: input.limit, offset: input.offset };
});

export const getFinding = verb(async function getFinding(args: {
  ctx: ServiceContext;
  input: { findingId: number };
}): Promise<FindingDetailDto> {
  const row = await findFindingById(args.ctx.db, args.input.findingId);
  if (!row) throw new NotFoundError(`no finding with id ${args.input.findingId}`);
  return toFindingDetailDto(row);
});
