/**
 * The `stallAfterBytes` fault: upstream sends the first N bytes of its answer (headers always go
 * out) and then nothing more, with the connection left open. Real hosts do this when a backend dies
 * mid-answer behind a proxy that keeps the client connection; only a reader with a deadline on every
 * body read notices. The generator asks this budget before each write.
 */
export class StallBudget {
  private sent = 0;

  constructor(private readonly limit: number) {}

  /** True once N bytes went out: from then on the answer only waits. */
  get spent(): boolean {
    return this.sent >= this.limit;
  }

  /** The part of `bytes` that still fits in the budget. */
  take(bytes: Uint8Array): Uint8Array {
    const room = this.limit - this.sent;
    const piece = bytes.byteLength > room ? bytes.subarray(0, room) : bytes;
    this.sent += piece.byteLength;
    return piece;
  }
}

/** Resolves when the client hangs up: a stalled answer holds its read until then. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
