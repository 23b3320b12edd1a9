import type { ApiError } from "../anthropic/errors.ts";
import { errorResponse } from "./errors.ts";

const encoder = new TextEncoder();

/** How one API's streams keep alive and fail; the channel itself is the same for every door. */
export interface SseFormat {
  /** Bytes sent while idle. */
  ping: string;
  /** The answer when the stream fails before anything was sent. */
  errorResponse(err: ApiError): Response;
  /** The last event when the stream fails after it was committed. */
  errorEvent(err: ApiError): string;
}

export const ANTHROPIC_SSE: SseFormat = {
  ping: `event: ping\ndata: {"type": "ping"}\n\n`,
  errorResponse,
  errorEvent: (err) => `event: error\ndata: ${JSON.stringify(err.toBody())}\n\n`,
};

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

  private readonly ping: Uint8Array;

  constructor(
    private readonly pingIntervalMs: number,
    private readonly headers: Record<string, string> = {},
    private readonly format: SseFormat = ANTHROPIC_SSE,
  ) {
    this.response = new Promise((r) => (this.resolve = r));
    this.ping = encoder.encode(format.ping);
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
      if (Date.now() - this.lastSentAt >= this.pingIntervalMs) this.write(this.ping);
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
      this.resolve(this.format.errorResponse(err));
      return;
    }
    this.write(encoder.encode(this.format.errorEvent(err)));
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
