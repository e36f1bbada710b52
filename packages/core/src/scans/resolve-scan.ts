import { type Executor, findLatestScanByImageName, findScanById, type ScanRow } from "@vulntriage/db";
import { NotFoundError } from "../errors.js";
import { assertQueryableImageName } from "./read-scans.js";

/** A scan by its id, or an image name meaning that image's latest scan. */
export type ScanIdentifier = { scanId: number } | { imageName: string };

export async function resolveScan(db: Executor, scan: ScanIdentifier): Promise<ScanRow> {
  if ("imageName" in scan) assertQueryableImageName(scan.imageName);
  const row =
    "scanId" in scan
      ? await findScanById(db, scan.scanId)
      : await findLatestScanByImageName(db, scan.imageName);
  if (!row) {
    throw new NotFoundError(
      "scanId" in scan
        ? `no scan with id ${scan.scanId}`
        : `no scan of image ${JSON.stringify(scan.imageName)}`,
    );
  }
  return row;
}
