import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { ErrorBody } from "@vulntriage/core";
import type { FastifyInstance } from "fastify";

type Answer = { status: number; body: ErrorBody };

const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "x-content-type-options": "nosniff",
  connection: "close",
};

/** Writes an error answer straight onto a socket no response has started on, then closes it. */
export function answerOnSocket(socket: Socket, answer: Answer): void {
  const started = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage?.headersSent;
  if (socket.writable && !started) {
    const text = JSON.stringify(answer.body);
    const head = Object.entries({ ...JSON_HEADERS, "content-length": Buffer.byteLength(text) })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("");
    socket.write(`HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\n${head}\r\n${text}`);
  }
  socket.destroy();
}

function describeClientError(error: NodeJS.ErrnoException & { reason?: string }): Answer {
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") {
    return {
      status: 408,
      body: {
        error: "request_timeout",
        message: "the request did not arrive in time; send it without pausing",
      },
    };
  }
  if (error.code === "HPE_HEADER_OVERFLOW") {
    return {
      status: 431,
      body: {
        error: "headers_too_large",
        message: "the request's headers are larger than this server accepts",
      },
    };
  }
  // llhttp's reason ("Invalid method encountered") names the fault and quotes nothing of the request.
  const reason = error.reason ? `: ${error.reason.replace(/\.$/, "").toLowerCase()}` : "";
  return {
    status: 400,
    body: { error: "malformed_request", message: `the HTTP request cannot be read${reason}` },
  };
}

/** Node's own parser errors (bad request line, oversized headers, timeouts) in our error body. */
export function clientErrorHandler(this: FastifyInstance, error: Error, socket: Socket): void {
  const clientError = error as NodeJS.ErrnoException;
  if (clientError.code === "ECONNRESET" || socket.destroyed) return;
  const answer = describeClientError(clientError);
  this.log.debug({ status: answer.status, code: clientError.code }, "client error");
  answerOnSocket(socket, answer);
}

function answer(res: ServerResponse, { status, body }: Answer): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...JSON_HEADERS, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * `Expect: 100-continue` asks before sending the body: a Content-Length over the limit is refused
 * then, so the client never sends it. Node would otherwise answer "100 Continue" to everything.
 */
export function answerExpectations(server: Server, maxBodyBytes: number): void {
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
    const length = Number(req.headers["content-length"]);
    if (length > maxBodyBytes) {
      answer(res, {
        status: 413,
        body: {
          error: "payload_too_large",
          message: `the body (Content-Length ${length}) is larger than the ${maxBodyBytes} bytes this server accepts (MAX_REPORT_BYTES)`,
        },
      });
      return;
    }
    res.writeContinue();
    server.emit("request", req, res);
  });
  server.on("checkExpectation", (_req: IncomingMessage, res: ServerResponse) => {
    answer(res, {
      status: 417,
      body: {
        error: "expectation_failed",
        message: "the only Expect header this server knows is 100-continue",
      },
    });
  });
}
