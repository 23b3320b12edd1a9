/** Client keys shared by two agcp instances on one real redis-server. */
import { afterAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { startAgcpOn, startSim, type Agcp } from "../state/agcp-helpers.ts";
import { startRedis, until, type RedisServer } from "../state/helpers.ts";
import { ADMIN } from "./helpers.ts";

const redis = await startRedis();
afterAll(async () => {
  await redis?.stop();
});

let prefixes = 0;

async function createKey(a: Agcp, name: string, limits: object): Promise<string> {
  const res = await fetch(`${a.agcp.url}/api/keys`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": ADMIN },
    body: JSON.stringify({ name, limits }),
  });
  if (res.status !== 201) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()).secret;
}

async function ask(a: Agcp, secret: string): Promise<number> {
  const client = new Anthropic({ baseURL: a.agcp.url, apiKey: secret, maxRetries: 0 });
  try {
    await client.messages.create({ model: "claude-sonnet-4-6", max_tokens: 8, messages: [{ role: "user", content: "hi" }] });
    return 200;
  } catch (err) {
    return (err as { status?: number }).status ?? 0;
  }
}

describe.skipIf(!redis)("client keys across instances on one Redis", () => {
  const server = redis as RedisServer;
  const pair = async () => {
    const sim = await startSim(2);
    const storage = { driver: "redis" as const, url: server.url, prefix: `keys${++prefixes}` };
    const withAdmin = (c: Parameters<Parameters<typeof startAgcpOn>[2] & object>[0]) => ({ ...c, apiKey: ADMIN });
    const a = await startAgcpOn(sim, storage, withAdmin);
    const b = await startAgcpOn(sim, storage, withAdmin);
    return { sim, a, b, close: async () => (await Promise.all([a.close(), b.close()]), await sim.close()) };
  };

  test("--requests-per-day 20 gives exactly 20 successes across both instances", async () => {
    const { a, b, close } = await pair();
    try {
      const secret = await createKey(a, "daily", { requestsPerDay: 20 });
      await until("B to know the key", () => b.agcp.runtime.keys.list().some((k) => k.name === "daily") || undefined, 2_000, 10);
      const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => ask(i % 2 === 0 ? a : b, secret)));
      expect(statuses.filter((s) => s === 200).length).toBe(20);
      expect(statuses.filter((s) => s !== 200).every((s) => s === 429)).toBe(true);
    } finally {
      await close();
    }
  });

  test("a key revoked on one instance is refused by the other within a second", async () => {
    const { a, b, close } = await pair();
    try {
      const secret = await createKey(a, "leaving", {});
      await until("B to accept the key", async () => ((await ask(b, secret)) === 200 ? true : undefined), 2_000, 20);
      const res = await fetch(`${a.agcp.url}/api/keys/leaving/revoke`, { method: "POST", headers: { "x-api-key": ADMIN, "content-type": "application/json" } });
      expect(res.status).toBe(200);
      const revokedAt = performance.now();
      await until("B to refuse the key", async () => ((await ask(b, secret)) === 401 ? true : undefined), 1_000, 20);
      expect(performance.now() - revokedAt).toBeLessThan(1_000);
    } finally {
      await close();
    }
  });
});
