import type { ApiError } from "../anthropic/errors.ts";
import { errorResponse } from "./errors.ts";

const encoder = new TextEncoder();
const PING = encoder.encode(`event: ping\ndata: {"type": "ping"}\n\n`);

/**
 * A streaming response whose HTTP status is decided as late as possible.
 *
 * Until something is sent, a failure can still be answered with a proper HTTP error status
 * (a 400 stays a 400). Once the stream is committed, failures become `event: error`.
 * While committed and idle, pings keep the client and any intermediary from timing out.
 */
export class SseChannel {
  readonly response: Promise<Response>;
  private resolve!: (r: Response) => void;
  private controller?: ReadableStreamDefaultController<Uint8Array>;
  private timer?: ReturnType<typeof setInterval>;
  private lastSentAt = 0;
  private closed = false;
  committed = false;
  /** Set when the client went away; the producer should stop. */
  readonly abort = new AbortController();

  constructor(
    private readonly pingIntervalMs: number,
    private readonly headers: Record<string, string> = {},
  ) {
    this.response = new Promise((r) => (this.resolve = r));
  }

  /** Sends the 200 and SSE headers now (e.g. before a wait), so pings can flow. */
  commit(extraHeaders: Record<string, string> = {}): void {
    if (this.committed || this.closed) return;
    this.committed = true;
    const stream = new ReadableStream<Uint8Array>({
      start: (c) => {
        this.controller = c;
      },
      cancel: () => {
        this.closed = true;
        this.stopPings();
        this.abort.abort(new Error("client disconnected"));
      },
    });
    this.resolve(
      new Response(stream, {
        status: 200,
        headers: {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-cache",
          connection: "keep-alive",
          ...this.headers,
          ...extraHeaders,
        },
      }),
    );
    this.lastSentAt = Date.now();
    this.timer = setInterval(() => {
      if (Date.now() - this.lastSentAt >= this.pingIntervalMs) this.write(PING);
    }, Math.max(50, Math.floor(this.pingIntervalMs / 2)));
  }

  send(text: string, headersOnCommit?: Record<string, string>): void {
    if (!this.committed) this.commit(headersOnCommit);
    this.write(encoder.encode(text));
  }

  /** Ends the exchange with an error: an HTTP error if nothing was sent yet, else `event: error`. */
  fail(err: ApiError): void {
    if (this.closed) return;
    if (!this.committed) {
      this.closed = true;
      this.resolve(errorResponse(err));
      return;
    }
    this.write(encoder.encode(`event: error\ndata: ${JSON.stringify(err.toBody())}\n\n`));
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopPings();
    try {
      this.controller?.close();
    } catch {
      // already closed by a cancel
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private write(bytes: Uint8Array): void {
    if (this.closed || !this.controller) return;
    this.lastSentAt = Date.now();
    try {
      this.controller.enqueue(bytes);
    } catch {
      this.closed = true;
      this.stopPings();
    }
  }

  private stopPings(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
