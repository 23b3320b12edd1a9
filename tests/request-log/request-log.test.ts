/** The request log and usage history through a real agcp: what scripts and the console read. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startStack, type Stack } from "../support/stack.ts";

const MARKER = "zebra-umbrella-7731";

async function get(stack: Stack, path: string): Promise<any> {
  const res = await fetch(`${stack.url}${path}`);
  expect(res.status).toBe(200);
  return res.json();
}

describe("GET /api/requests", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ sim: { requestsPerQuota: 1_000_000 } });
  });
  afterAll(() => stack.close());

  test("each request appears newest first with model, upstream model, account, attempts, status and the pool's trace, without the prompt", async () => {
    await stack.client.messages.create({ model: "claude-sonnet-4-6", max_tokens: 16, messages: [{ role: "user", content: `first ${MARKER}` }] });
    const { response } = await stack.client.messages
      .create({ model: "claude-haiku-4-5", max_tokens: 16, messages: [{ role: "user", content: `second ${MARKER}` }] })
      .withResponse();
    const body = await get(stack, "/api/requests");
    const [newest, older] = body.requests;
    expect(newest.model).toBe("claude-haiku-4-5");
    expect(older.model).toBe("claude-sonnet-4-6");
    expect(newest.account).toBe(response.headers.get("x-agcp-account"));
    expect(newest).toMatchObject({ api: "anthropic", status: 200, outcome: "ok" });
    expect(typeof newest.upstreamModel).toBe("string");
    expect(Date.parse(newest.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(newest.attempts).toEqual([expect.objectContaining({ account: newest.account, outcome: "ok" })]);
    expect(newest.trace.some((t: string) => t.includes(`chose ${newest.account}`))).toBe(true);
    expect(newest.tokens.output).toBeGreaterThan(0);
    expect(newest.totalMs).toBeGreaterThanOrEqual(newest.ttfbMs);
    expect(JSON.stringify(body)).not.toContain(MARKER);
  });

  test("a failover shows every attempt with its reason, and the trace says what was skipped", async () => {
    // The next generate upstream answers 500: the request moves on to another account, and the log says why.
    await stack.control("/faults", { body: { serverError: true, failNext: 1 } });
    await stack.client.messages.create({ model: "claude-sonnet-4-6", max_tokens: 16, messages: [{ role: "user", content: "again" }] });
    const [entry] = (await get(stack, "/api/requests?limit=1")).requests;
    expect(entry.status).toBe(200);
    expect(entry.attempts.length).toBeGreaterThanOrEqual(2);
    expect(entry.attempts[0].outcome).toBe("server");
    expect(entry.attempts.at(-1).outcome).toBe("ok");
    expect(entry.trace.filter((t: string) => t.includes(": chose ")).length).toBe(entry.attempts.length);
  });

  test("filters by account, model and status, and rejects a bad filter in Anthropic's shape", async () => {
    const all = (await get(stack, "/api/requests")).requests;
    const account = all[0].account;
    const byAccount = (await get(stack, `/api/requests?account=${encodeURIComponent(account)}`)).requests;
    expect(byAccount.length).toBeGreaterThan(0);
    expect(byAccount.every((e: any) => e.account === account || e.attempts.some((a: any) => a.account === account))).toBe(true);
    expect((await get(stack, "/api/requests?model=claude-haiku-4-5")).requests.every((e: any) => e.model === "claude-haiku-4-5" || e.upstreamModel === "claude-haiku-4-5")).toBe(true);
    expect((await get(stack, "/api/requests?status=error")).requests.every((e: any) => e.outcome !== "ok")).toBe(true);
    const bad = await fetch(`${stack.url}/api/requests?status=maybe`);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.type).toBe("invalid_request_error");
  });

  test("the live feed sends each new request as it finishes", async () => {
    const controller = new AbortController();
    const res = await fetch(`${stack.url}/api/requests/live`, { signal: controller.signal });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    await reader.read(); // the opening comment
    await stack.client.messages.create({ model: "claude-sonnet-4-6", max_tokens: 16, messages: [{ role: "user", content: "live" }] });
    let text = "";
    while (!text.includes("\n\ndata:") && !/^data: .*\n\n/m.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    const entry = JSON.parse(/^data: (.*)$/m.exec(text)![1]!);
    expect(entry).toMatchObject({ model: "claude-sonnet-4-6", status: 200 });
    controller.abort();
  });
});

describe("GET /api/usage", () => {
  test("after 50 requests the current hour shows 50, per account and model too, and still does after a restart on the fs driver", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agcp-usage-"));
    const onFs = (c: any) => ({ ...c, storage: { ...c.storage, driver: "fs", dir } });
    const first = await startStack({ sim: { requestsPerQuota: 1_000_000 }, tweak: onFs });
    try {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          first.client.messages.create({ model: i % 2 ? "claude-sonnet-4-6" : "claude-haiku-4-5", max_tokens: 8, messages: [{ role: "user", content: `n${i}` }] }),
        ),
      );
      const report = await get(first, "/api/usage?range=24h");
      expect(report.buckets).toHaveLength(24);
      expect(report.buckets.at(-1).requests).toBe(50);
      expect(report.buckets.at(-1).outputTokens).toBeGreaterThan(0);
      const perAccount = Object.values(report.byAccount).reduce((n: number, b: any) => n + b.at(-1).requests, 0);
      expect(perAccount).toBe(50);
      expect(report.totals.reduce((n: number, t: any) => n + t.requests, 0)).toBe(50);
      expect(new Set(report.totals.map((t: any) => t.model)).size).toBe(2);
    } finally {
      await first.close();
    }
    const second = await startStack({ sim: { requestsPerQuota: 1_000_000 }, tweak: onFs });
    try {
      expect((await get(second, "/api/usage?range=24h")).buckets.at(-1).requests).toBe(50);
      const week = await get(second, "/api/usage?range=7d");
      expect(week.buckets).toHaveLength(7);
      expect(week.buckets.at(-1).requests).toBe(50);
      expect((await fetch(`${second.url}/api/usage?range=1y`)).status).toBe(400);
    } finally {
      await second.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
