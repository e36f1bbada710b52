/** Why a source gave no usable answer: stored as the id's last error, never thrown at an upload. */
export class SourceError extends Error {
  constructor(
    message: string,
    /** Seconds the source asked us to wait (Retry-After), when it said. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = "SourceError";
  }
}

export type JsonAnswer = { status: number; headers: Headers; body: unknown };

/**
 * One GET or POST with a deadline, answering parsed JSON. A timeout, a refused connection, a 4xx/5xx,
 * an HTML page or a cut-off body all become a SourceError saying which; 304 answers with no body.
 */
export async function fetchJson(
  url: string,
  init: { timeoutMs: number; headers?: Record<string, string>; method?: "GET" | "POST"; body?: unknown },
): Promise<JsonAnswer> {
  const where = new URL(url).host;
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method ?? "GET",
      headers: {
        accept: "application/json",
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
        ...init.headers,
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(init.timeoutMs),
    });
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    if (e.name === "TimeoutError")
      throw new SourceError(`${where} did not answer within ${init.timeoutMs} ms`);
    throw new SourceError(`cannot reach ${where}: ${e.cause?.code ?? e.message}`);
  }
  if (response.status === 304) return { status: 304, headers: response.headers, body: null };
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new SourceError(`${where} broke off its answer: ${(error as Error).message}`);
  }
  if (!response.ok) {
    // Seconds only; an absent header is no advice (Number(null) would read as "retry after 0 s").
    const header = response.headers.get("retry-after");
    const retryAfter = header === null ? Number.NaN : Number(header);
    throw new SourceError(
      `${where} answered ${response.status}`,
      Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : null,
    );
  }
  try {
    return { status: response.status, headers: response.headers, body: JSON.parse(text) };
  } catch {
    const kind = /^\s*</.test(text) ? "an HTML page" : "JSON that does not parse (cut off?)";
    throw new SourceError(`${where} answered ${kind} instead of JSON`);
  }
}
