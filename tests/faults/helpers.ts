import type { SimAccountInit, SimStats } from "../../src/sim/index.ts";
import type { Stack } from "../support/stack.ts";

export const MODEL = "claude-sonnet-4-6";
export const HEADERS = { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "test-key" };

/** n accounts with full quota and no rate limit; what each test does to them decides the routing. */
export function accounts(n: number, prefix: string): SimAccountInit[] {
  return Array.from({ length: n }, (_, i) => ({ email: `${prefix}${i + 1}@agcp.test`, refreshToken: `sim-refresh-${prefix}-${i + 1}` }));
}

export { mulberry32 } from "../support/loopback.ts";

/** Runs `count` jobs with at most `concurrency` in flight; results in job order. */
export async function pooled<T>(count: number, concurrency: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(count, concurrency) }, async () => {
      for (let i = next++; i < count; i = next++) out[i] = await job(i);
    }),
  );
  return out;
}

/** Rejects when `promise` has not settled within `ms`: a hang must fail the test, not stall it. */
export function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface SimAccountState {
  email: string;
  counters: { requests: Record<string, number>; successfulGenerates: number; rateLimited: Record<string, number>; clientAborts: number; inflight: number };
}

/** Generate calls upstream received, over all accounts (streaming and not). */
export async function upstreamGenerates(stack: Stack): Promise<number> {
  const list = (await stack.control("/accounts")) as SimAccountState[];
  return list.reduce((n, a) => n + (a.counters.requests.generateContent ?? 0) + (a.counters.requests.streamGenerateContent ?? 0), 0);
}

export async function simStats(stack: Stack): Promise<SimStats> {
  return stack.control("/stats");
}

/** Polls `check` until truthy; throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 5_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(20);
  }
}

/** An Anthropic error body: `{type: "error", error: {type, message}}` with nothing else needed. */
export function isAnthropicError(body: unknown): body is { type: "error"; error: { type: string; message: string } } {
  if (typeof body !== "object" || body === null) return false;
  const b = body as { type?: unknown; error?: { type?: unknown; message?: unknown } };
  return b.type === "error" && typeof b.error?.type === "string" && typeof b.error.message === "string" && b.error.message.length > 0;
}

/** A complete non-streaming Anthropic message. */
export function isAnthropicMessage(body: unknown): boolean {
  if (typeof body !== "object" || body === null) return false;
  const m = body as Record<string, unknown>;
  return m.type === "message" && m.role === "assistant" && Array.isArray(m.content) && typeof m.usage === "object" && typeof m.id === "string";
}

/** Events of a complete SSE body. */
export function sseEvents(text: string): Array<{ event: string; data: unknown }> {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
      const data = /^data: (.*)$/m.exec(block)?.[1];
      return { event, data: data === undefined ? undefined : JSON.parse(data) };
    });
}

/** Reads current process memory after a full collection. */
export function memoryAfterGc(): { rss: number; heapUsed: number } {
  Bun.gc(true);
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}
