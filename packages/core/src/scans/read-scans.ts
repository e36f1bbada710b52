import { findLatestScanByImageName, findScanById, listScans as listScanRows } from "@vulntriage/db";
import type { ServiceContext } from "../context.js";
import { InvalidRequestError, NotFoundError } from "../errors.js";
import { verb } from "../verb.js";
import { imageNameProblem } from "./image-name.js";
import { type ScanDto, type ScanPage, toScanDto } from "./scan-dto.js";

export const listScans = verb(async function listScans(args: {
  ctx: ServiceContext;
  input: { limit: number; offset: number };
}): Promise<ScanPage> {
  const { rows, total } = await listScanRows(args.ctx.db, args.input);
  return { items: rows.map(toScanDto), total, limit: args.input.limit, offset: args.input.offset };
});

export const getLatestScanByImageName = verb(async function getLatestScanByImageName(args: {
  ctx: ServiceContext;
  input: { imageName: string };
}): Promise<ScanDto> {
  assertQueryableImageName(args.input.imageName);
  const row = await findLatestScanByImageName(args.ctx.db, args.input.imageName);
  if (!row) throw new NotFoundError(`no scan of image ${JSON.stringify(args.input.imageName)}`);
  return toScanDto(row);
});

export const getScan = verb(async function getScan(args: {
  ctx: ServiceContext;
  input: { scanId: number };
}): Promise<ScanDto> {
  const row = await findScanById(args.ctx.db, args.input.scanId);
  if (!row) throw new NotFoundError(`no scan with id ${args.input.scanId}`);
  return toScanDto(row);
});

/** A name that could never be stored is a bad request, and must not reach SQL (NUL bytes). */
export function assertQueryableImageName(name: string): void {
  const problem = imageNameProblem(name);
  if (problem) throw new InvalidRequestError(`the image name ${problem}`);
}
