// More concurrent requests than Bun's fetch keeps in flight by default (256), and more than agcp's
// own upstream gate allows: queueing is agcp's business, never an account's failure.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { createSimulator, type Simulator } from "../../src/sim/index.ts";
import { cleanEnv, freePort, MAIN, tempDir, waitForOk } from "../cli/helpers.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { accounts, isAnthropicError, MODEL, within } from "./helpers.ts";

/** The client side must not queue either: node:http with unlimited sockets, not this process's fetch. */
function post(url: string, body: string, agent: http.Agent): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent, headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

const MESSAGE = JSON.stringify({ model: MODEL, max_tokens: 16, messages: [{ role: "user", content: "hi" }] });

async function healthByAccount(base: string): Promise<Map<string, number>> {
  const report = (await (await fetch(`${base}/account-limits`)).json()) as { accounts: Array<{ label: string; health: number }> };
  return new Map(report.accounts.map((a) => [a.label, a.health]));
}

describe("300 concurrent slow answers through `agcp start` (scaled down: 2 s answers, 5 s deadline)", () => {
  const CONCURRENT = 300;
  let sim: Simulator;
  let simUrl: string;
  let proc: Bun.Subprocess | undefined;
  let base: string;
  let output = "";

  beforeAll(async () => {
    const simAccounts = accounts(4, "busy");
    sim = createSimulator({ accounts: simAccounts, requestsPerQuota: 1_000_000 });
    simUrl = (await sim.listen({ port: 0 })).url;
    const dir = tempDir("agcp-overload-");
    const port = await freePort();
    const config = {
      port,
      logLevel: "warn",
      accounts: simAccounts.map((a) => ({ label: a.email, refreshToken: a.refreshToken })),
      storage: { driver: "memory" },
      upstream: {
        hosts: [simUrl],
        oauth: { tokenUrl: `${simUrl}/token`, userinfoUrl: `${simUrl}/oauth2/v1/userinfo`, authorizeUrl: `${simUrl}/o/oauth2/v2/auth` },
        requestTimeoutMs: 5_000,
      },
      pool: { bucket: { max: 100_000, initial: 100_000 } },
    };
    writeFileSync(join(dir, "agcp.config.json"), JSON.stringify(config));
    // As a user starts it: no fetch limit in the environment, so `agcp start` must raise it itself.
    const env = cleanEnv();
    delete env.BUN_CONFIG_MAX_HTTP_REQUESTS;
    proc = Bun.spawn([process.execPath, MAIN, "start", "--config", join(dir, "agcp.config.json")], { cwd: dir, env, stdout: "pipe", stderr: "pipe" });
    for (const stream of [proc.stdout, proc.stderr] as ReadableStream<Uint8Array>[]) {
      void (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of stream) output += decoder.decode(chunk, { stream: true });
      })();
    }
    base = `http://127.0.0.1:${port}`;
    await waitForOk(`${base}/health`, 20_000);
  }, 30_000);

  afterAll(async () => {
    proc?.kill("SIGTERM");
    await proc?.exited;
    await sim?.close();
  });

  test("all 300 succeed, upstream sees more than 256 at once, and no account's health drops", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
    try {
      // Warm up (tokens, projects, first quota read), then record where health stands.
      expect((await post(`${base}/v1/messages`, MESSAGE, agent)).status).toBe(200);
      const before = await healthByAccount(base);

      await fetch(`${simUrl}/__sim/faults`, { method: "PATCH", body: JSON.stringify({ latencyMs: 2_000 }) });
      let peak = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const stats = (await (await fetch(`${simUrl}/__sim/stats`)).json()) as { inflight: number };
          peak = Math.max(peak, stats.inflight);
          await Bun.sleep(50);
        }
      })();
      const answers = await within(60_000, "300 slow requests", Promise.all(Array.from({ length: CONCURRENT }, () => post(`${base}/v1/messages`, MESSAGE, agent))));
      sampling = false;
      await sampler;

      const failed = answers.filter((a) => a.status !== 200);
      expect(failed.map((a) => `${a.status} ${a.text.slice(0, 200)}`)).toEqual([]);
      for (const a of answers) expect(JSON.parse(a.text).type).toBe("message");
      // Bun's default would have held agcp at 256; everything went out at once.
      expect(peak).toBeGreaterThan(256);
      const after = await healthByAccount(base);
      for (const [label, health] of before) expect(after.get(label)!).toBeGreaterThanOrEqual(health);
      expect(output).not.toContain("penalized");
    } finally {
      agent.destroy();
      await fetch(`${simUrl}/__sim/faults`, { method: "PATCH", body: "null" });
    }
  }, 90_000);
});

describe("agcp's own upstream gate full", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      accounts: accounts(2, "gate"),
      sim: { requestsPerQuota: 1_000_000 },
      config: { limits: { upstreamConcurrency: 2, upstreamQueueMs: 300 }, pool: { bucket: { max: 100_000, initial: 100_000 } } },
    });
    await stack.client.messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: "user", content: "warm up" }] });
  });
  afterAll(() => stack?.close());

  test("the overflow gets 529 overloaded_error with retry-after, without reaching upstream or touching any account", async () => {
    const before = stack.agcp.runtime.pool.accounts().map((a) => [a.id, a.health] as const);
    const generatesBefore = (await stack.control("/stats")).successfulGenerates;
    await stack.control("/faults", { body: { latencyMs: 1_500 } });
    const answers = await within(10_000, "gate overflow", Promise.all(
      Array.from({ length: 6 }, () =>
        fetch(`${stack.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" }, body: MESSAGE }).then(
          async (r) => ({ status: r.status, retryAfter: r.headers.get("retry-after"), body: await r.json() }),
        ),
      ),
    ));
    const ok = answers.filter((a) => a.status === 200);
    const overloaded = answers.filter((a) => a.status === 529);
    expect(ok.length).toBe(2);
    expect(overloaded.length).toBe(4);
    for (const a of overloaded) {
      expect(isAnthropicError(a.body)).toBe(true);
      expect(a.body.error.type).toBe("overloaded_error");
      expect(a.body.error.message).toContain("limits.upstreamConcurrency");
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    expect((await stack.control("/stats")).successfulGenerates).toBe(generatesBefore + 2);
    for (const [id, health] of before) expect(stack.agcp.runtime.pool.account(id)!.health).toBeGreaterThanOrEqual(health);
    await stack.control("/faults", { method: "PATCH", body: null });
  });
});
