import type { SimAccountInit, SimAccountView, SimCounters } from "../../src/sim/index.ts";
import { afterEach } from "bun:test";
import { startStack, type Stack, type StackOptions } from "../support/stack.ts";

/** n accounts with full quota and no rate limit, so routing is decided by agcp alone. */
export function fullAccounts(n: number, prefix = "acct"): SimAccountInit[] {
  return Array.from({ length: n }, (_, i) => ({ email: `${prefix}${i + 1}@agcp.test`, refreshToken: `sim-refresh-${prefix}-${i + 1}` }));
}

/** The simulator's account view, with the recorded request bodies left loose for tests to dig into. */
export type SimAccountCounters = SimAccountView & { counters: SimCounters & { lastRequestBody: any; lastGenerateBody: any } };

export async function simAccounts(stack: Stack): Promise<SimAccountCounters[]> {
  return stack.control("/accounts");
}

/** Generate calls (streaming or not) each account received. */
export async function generatesByAccount(stack: Stack): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const a of await simAccounts(stack)) {
    out[a.email] = (a.counters.requests.streamGenerateContent ?? 0) + (a.counters.requests.generateContent ?? 0);
  }
  return out;
}

/** Polls `check` until it returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 5_000, everyMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(everyMs);
  }
}

/** Every account's quota data has been fetched by agcp's refresher. */
export async function quotaLoaded(stack: Stack, model: string): Promise<void> {
  await waitFor(`quota data for ${model}`, () => stack.agcp.runtime.pool.accounts().every((a) => a.invalid || a.quota[model] !== undefined));
}

/** Raw SSE text of one streaming request (for what the SDK hides: pings, error events). */
export async function rawStream(url: string, body: unknown, init: { signal?: AbortSignal; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "test-key", ...init.headers },
    body: JSON.stringify({ ...(body as object), stream: true }),
    ...(init.signal && { signal: init.signal }),
  });
  return res;
}

/** Server-sent events parsed from a complete text. */
export function parseEvents(text: string): { event: string; data: any }[] {
  return text
    .split(/\n\n/)
    .filter((b) => b.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
      const data = /^data: (.*)$/m.exec(block)?.[1];
      return { event, data: data ? JSON.parse(data) : undefined };
    });
}

/** 1×1 transparent PNG. */
export const TINY_PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/** `startStack` for one test file: every stack a test started is closed after that test. */
export function stacksClosedAfterEach(): (opts: StackOptions) => Promise<Stack> {
  let stacks: Stack[] = [];
  afterEach(async () => {
    await Promise.all(stacks.map((s) => s.close()));
    stacks = [];
  });
  return async (opts) => {
    const s = await startStack(opts);
    stacks.push(s);
    return s;
  };
}
