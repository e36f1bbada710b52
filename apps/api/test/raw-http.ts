import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { connect, type Socket } from "node:net";

/** A raw TCP connection to the API: what it received, and when the server closed it. */
export type RawConnection = {
  socket: Socket;
  received: () => string;
  /** Resolves with the milliseconds from connecting until the server closed the socket. */
  closed: Promise<number>;
  send: (data: string | Buffer) => void;
};

export async function openRaw(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const opened = Date.now();
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.on("error", () => {}); // a reset is one way of being closed
  const closed = new Promise<number>((resolve) => socket.once("close", () => resolve(Date.now() - opened)));
  return {
    socket,
    received: () => Buffer.concat(chunks).toString("latin1"),
    closed,
    send: (data) => {
      if (!socket.destroyed) socket.write(data);
    },
  };
}

/** Sends `text` one byte every `everyMs` until the socket closes or the text runs out. */
export async function trickle(connection: RawConnection, text: string, everyMs: number): Promise<void> {
  let open = true;
  void connection.closed.then(() => {
    open = false;
  });
  for (const char of text) {
    if (!open) return;
    connection.send(char);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export type RawAnswer = { statusLine: string; headers: Record<string, string>; body: string };

/** Splits the first HTTP answer out of what a raw connection received. */
export function parseAnswer(text: string): RawAnswer {
  const end = text.indexOf("\r\n\r\n");
  const head = end === -1 ? text : text.slice(0, end);
  const [statusLine = "", ...lines] = head.split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers["content-length"] ?? 0);
  return { statusLine, headers, body: end === -1 ? "" : text.slice(end + 4, end + 4 + length) };
}

/** A request with headers fetch refuses to send as given (Host, Origin). */
export function requestWithHeaders(
  url: string,
  options: { method?: string; headers: Record<string, string> },
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? "GET", headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}
