import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip, gzip } from "node:zlib";
import createFetchClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema.js";

/** @public The generated operation and schema types, for callers who name them. */
export type { components, paths } from "./schema.js";

type UploadOperation = paths["/api/container/scans"]["post"];

/** @public The 201 (a new scan) or 200 (`duplicate: true`, the scan stored earlier) answer of an upload. */
export type UploadAnswer =
  | UploadOperation["responses"][201]["content"]["application/json"]
  | UploadOperation["responses"][200]["content"]["application/json"];

type ErrorBody = components["schemas"]["Error"];

/** An answer other than 2xx, with the server's `{error, message}` (or the status text, when it sent none). */
export class VulntriageApiError extends Error {
  override readonly name = "VulntriageApiError";
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(`${status} ${body.error}: ${body.message}`);
  }
}

/** @public */
export type UploadOptions = {
  /** Files the scan under this name instead of the report's ArtifactName. */
  imageName?: string;
  signal?: AbortSignal;
};

export type VulntriageClient = Client<paths> & {
  /**
   * Uploads a Trivy JSON report, gzip-compressed on the way: a file path, the report's bytes, or a
   * stream of them. Answers the 201 or 200 body; throws VulntriageApiError on any other status.
   */
  uploadReport: (report: string | Buffer | Readable, options?: UploadOptions) => Promise<UploadAnswer>;
};

export type ClientOptions = {
  /** Where the API is, e.g. http://127.0.0.1:3000 */
  baseUrl: string;
  /** An API key's token, sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Another fetch (tests, proxies); the global one by default. */
  fetch?: (request: Request) => Promise<Response>;
};

/** The typed openapi-fetch client of every operation, plus uploadReport. */
export function createClient(options: ClientOptions): VulntriageClient {
  const client = createFetchClient<paths>({
    baseUrl: options.baseUrl,
    ...(options.token ? { headers: { Authorization: `Bearer ${options.token}` } } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const uploadReport: VulntriageClient["uploadReport"] = async (report, uploadOptions = {}) => {
    const compressed = await gzipped(report);
    const { data, error, response } = await client.POST("/api/container/scans", {
      params: {
        query: uploadOptions.imageName === undefined ? {} : { image_name: uploadOptions.imageName },
        header: { "Content-Encoding": "gzip" },
      },
      headers: { "Content-Type": "application/json" },
      // The body is the report's gzip bytes, not an object to serialise as JSON: openapi-fetch
      // passes whatever the serialiser returns to fetch as it is.
      body: compressed as unknown as UploadOperation["requestBody"]["content"]["application/json"],
      bodySerializer: () => compressed,
      ...(uploadOptions.signal ? { signal: uploadOptions.signal } : {}),
    });
    if (data !== undefined && response.ok) return data;
    throw new VulntriageApiError(response.status, errorBody(error, response));
  };
  return Object.assign(client, { uploadReport });
}

function errorBody(error: unknown, response: Response): ErrorBody {
  if (typeof error === "object" && error !== null && "error" in error && "message" in error) {
    const { error: code, message } = error as Record<string, unknown>;
    if (typeof code === "string" && typeof message === "string") return { error: code, message };
  }
  return { error: "http_error", message: response.statusText || `status ${response.status}` };
}

async function gzipped(report: string | Buffer | Readable): Promise<Buffer> {
  if (Buffer.isBuffer(report)) {
    return new Promise((resolve, reject) => {
      gzip(report, (error, result) => (error ? reject(error) : resolve(result)));
    });
  }
  const source = typeof report === "string" ? createReadStream(report) : report;
  const chunks: Buffer[] = [];
  await pipeline(source, createGzip(), async (compressed: AsyncIterable<Buffer>) => {
    for await (const chunk of compressed) chunks.push(chunk);
  });
  return Buffer.concat(chunks);
}
