import { failed, type RevocationResult, success } from "./failure.js";

/** The WHATWG fetch shape (Node 20's global fetch fits); injected so tests and the bench control the network. */
export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>;

export interface BytesRequest {
  readonly url: string;
  readonly method: "GET" | "POST";
  readonly body?: Uint8Array;
  readonly contentType?: string;
  readonly accept: string;
  /** The whole exchange, body included, must finish within this. */
  readonly timeoutMs: number;
  /** A responder or CRL server cannot make the service buffer more than this. */
  readonly maxBytes: number;
  /** Aborted when the checker closes, so no fetch outlives it. */
  readonly signal: AbortSignal;
}

/** One HTTP exchange: the body bytes of a 2xx answer, or a typed transport failure. Never throws. */
export async function fetchBytes(
  fetchFn: FetchFunction,
  request: BytesRequest,
): Promise<RevocationResult<Uint8Array>> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = AbortSignal.any([timeout, request.signal]);
  const headers: Record<string, string> = { accept: request.accept };
  if (request.contentType !== undefined) headers["content-type"] = request.contentType;
  try {
    const response = await fetchFn(request.url, {
      method: request.method,
      body: request.body,
      headers,
      signal,
      // A 3xx from a responder (or from anyone on the plain-HTTP path) would make the service GET any URL
      // it names, internal ones included: redirects are refused, never followed (docs/revocation.md).
      redirect: "error",
    });
    if (isRedirect(response.status)) {
      // A fetch that does not honour `redirect` (an injected one) still gets no second request from us.
      await response.body?.cancel();
      return failed("http-status", `${request.url} answered HTTP ${response.status}: redirects are refused`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      return failed("http-status", `${request.url} answered HTTP ${response.status}`);
    }
    const declared = Number(response.headers.get("content-length") ?? "0");
    if (declared > request.maxBytes) {
      await response.body?.cancel();
      return failed("too-large", `${request.url} declared ${declared} bytes, limit ${request.maxBytes}`);
    }
    return await readLimited(response, request);
  } catch (error) {
    if (timeout.aborted)
      return failed("timeout", `${request.url} did not answer within ${request.timeoutMs} ms`);
    if (request.signal.aborted) return failed("aborted", `${request.url}: the checker was closed`);
    return failed("network", `${request.url}: ${describe(error)}`);
  }
}

async function readLimited(response: Response, request: BytesRequest): Promise<RevocationResult<Uint8Array>> {
  if (response.body === null) return success(new Uint8Array(0));
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > request.maxBytes) {
      await reader.cancel();
      return failed("too-large", `${request.url} sent more than ${request.maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return success(new Uint8Array(Buffer.concat(chunks, total)));
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

/** undici hides the socket error (ECONNREFUSED, ...) in `cause`. */
function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause: unknown = error.cause;
    if (cause instanceof Error) return `${error.message}: ${cause.message}`;
    return error.message;
  }
  return String(error);
}
