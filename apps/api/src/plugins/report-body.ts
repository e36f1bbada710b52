import { Transform, type TransformCallback } from "node:stream";
import { createGunzip } from "node:zlib";
import { MalformedBodyError, reportTooLarge, UnsupportedMediaTypeError } from "@vulntriage/core";
import type { FastifyInstance, FastifyRequest } from "fastify";

declare module "fastify" {
  interface FastifyRequest {
    /** The body exactly as received, when the client sent it gzip-encoded. */
    gzipBody?: Buffer;
  }
}

/**
 * Report uploads: the raw bytes reach the handler as a Buffer (core parses them once), gzip bodies
 * are inflated on the way in, and MAX_REPORT_BYTES bounds the inflated size, so a gzip bomb gets
 * 413 without ever being held in memory.
 */
export function acceptReportBodies(app: FastifyInstance, maxReportBytes: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    "application/json",
    { parseAs: "buffer", bodyLimit: maxReportBytes },
    (_req, body, done) => done(null, body),
  );

  app.addHook("preParsing", async (request, _reply, payload) => {
    const encoding = (request.headers["content-encoding"] ?? "identity").toLowerCase().trim();
    if (encoding === "identity" || encoding === "") return payload;
    if (encoding !== "gzip" && encoding !== "x-gzip") {
      throw new UnsupportedMediaTypeError(`Content-Encoding ${encoding} is not supported; use gzip`);
    }
    return inflate(request, payload, maxReportBytes);
  });
}

function inflate(
  request: FastifyRequest,
  payload: NodeJS.ReadableStream,
  limit: number,
): NodeJS.ReadableStream {
  const compressed: Buffer[] = [];
  let encodedLength = 0;
  let inflatedLength = 0;
  const gunzip = createGunzip();
  const counted = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      inflatedLength += chunk.length;
      if (inflatedLength > limit) {
        payload.unpipe(gunzip);
        gunzip.destroy();
        callback(reportTooLarge(limit));
        return;
      }
      callback(null, chunk);
    },
  }) as Transform & { receivedEncodedLength: number };
  counted.receivedEncodedLength = 0;
  payload.on("data", (chunk: Buffer) => {
    encodedLength += chunk.length;
    counted.receivedEncodedLength = encodedLength;
    if (encodedLength <= limit) compressed.push(chunk);
  });
  payload.on("end", () => {
    request.gzipBody = Buffer.concat(compressed);
  });
  gunzip.on("error", (error) => {
    counted.destroy(new MalformedBodyError(`the gzip body could not be inflated: ${error.message}`));
  });
  payload.pipe(gunzip).pipe(counted);
  return counted;
}
