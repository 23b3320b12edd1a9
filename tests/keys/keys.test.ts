/** Client keys through a real agcp: limits, roles, usage, and no secret in clear anywhere. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startStack, type Stack } from "../support/stack.ts";
import { ADMIN, api, ask, clientFor, createKey } from "./helpers.ts";

let stack: Stack;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "agcp-keys-"));
  stack = await startStack({
    sim: { requestsPerQuota: 1_000_000 },
    config: { apiKey: ADMIN },
    // The demo setup keeps state in memory; these tests read the files the keys are stored in.
    tweak: (c) => ({ ...c, storage: { ...c.storage, driver: "fs", dir } }),
  });
});
afterAll(async () => {
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

const secrets: string[] = [];

describe("limits", () => {
  test("--rpm 5: the 6th request in a minute gets 429 naming the limit, with retry-after; another key is unaffected", async () => {
    const five = await createKey(stack, "five-per-minute", { rpm: 5 });
    const other = await createKey(stack, "other");
    secrets.push(five, other);
    const a = clientFor(stack, five);
    for (let i = 0; i < 5; i++) expect(await ask(a)).toEqual({ ok: true });
    const sixth = await ask(a);
    expect(sixth.ok).toBe(false);
    if (sixth.ok) return;
    expect(sixth.status).toBe(429);
    expect(sixth.message).toContain("5 requests per minute");
    expect(Number(sixth.retryAfter)).toBeGreaterThan(0);
    expect(Number(sixth.retryAfter)).toBeLessThanOrEqual(60);
    expect(await ask(clientFor(stack, other))).toEqual({ ok: true });
    // The pool was never asked: a key's limit is not an account's problem.
    const health = await (await fetch(`${stack.url}/health`)).json();
    expect(health.accounts.cooling ?? 0).toBe(0);
  });

  test("a model outside the key's list is a 403 that says which models it may use", async () => {
    const ci = await createKey(stack, "ci", { models: ["gemini-*"] });
    secrets.push(ci);
    const r = await ask(clientFor(stack, ci), "claude-opus-4-1");
    expect(r.ok ? 200 : r.status).toBe(403);
    if (!r.ok) expect(r.message).toContain("gemini-*");
  });

  test("a streaming request over the limit gets the same 429 before any event", async () => {
    const one = await createKey(stack, "one-a-day", { requestsPerDay: 1 });
    secrets.push(one);
    expect(await ask(clientFor(stack, one))).toEqual({ ok: true });
    const res = await fetch(`${stack.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": one, "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 16, stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).not.toBeNull();
    expect((await res.json()).error.message).toContain("1 requests for today");
  });
});

describe("roles", () => {
  test("a client key cannot read the console data, /api or /metrics; the admin key can", async () => {
    const c = await createKey(stack, "reader");
    secrets.push(c);
    for (const path of ["/api/accounts", "/metrics", "/account-limits", "/api/keys"]) {
      expect((await api(stack, path, { key: c })).status).toBe(403);
      expect((await api(stack, path)).status).toBe(200);
    }
  });

  test("a revoked key is refused; a rotated key's old secret stops working and the new one works", async () => {
    const k = await createKey(stack, "temp");
    expect(await ask(clientFor(stack, k))).toEqual({ ok: true });
    expect((await api(stack, "/api/keys/temp/revoke", { method: "POST" })).status).toBe(200);
    const refused = await ask(clientFor(stack, k));
    expect(refused.ok ? 200 : refused.status).toBe(401);
    if (!refused.ok) expect(refused.message).toContain("revoked");

    const r = await createKey(stack, "rotating");
    const rotated = await api(stack, "/api/keys/rotating/rotate", { method: "POST" });
    const fresh = rotated.body.secret as string;
    secrets.push(k, r, fresh);
    expect((await ask(clientFor(stack, r))).ok).toBe(false);
    expect(await ask(clientFor(stack, fresh))).toEqual({ ok: true });
  });

  test("no key or a made-up key is a 401 on the API doors once keys exist", async () => {
    expect((await ask(clientFor(stack, "sk-made-up"))).ok).toBe(false);
    const res = await fetch(`${stack.url}/v1/models`);
    expect(res.status).toBe(401);
  });
});

describe("usage per key", () => {
  test("shows in /account-limits (JSON and table), /api/usage, /metrics and /api/keys after a mixed run", async () => {
    const mixed = await createKey(stack, "mixed");
    secrets.push(mixed);
    const c = clientFor(stack, mixed);
    for (const model of ["claude-sonnet-4-6", "claude-haiku-4-5", "claude-sonnet-4-6"]) expect(await ask(c, model)).toEqual({ ok: true });
    await stack.agcp.runtime.usage.flush();

    const json = (await api(stack, "/account-limits")).body;
    const row = json.keys.find((k: { name: string }) => k.name === "mixed");
    expect(row.last24h.requests).toBe(3);
    expect(row.last24h.outputTokens).toBeGreaterThan(0);
    expect(row.today.claude.requests + row.today.gemini.requests).toBe(3);

    const table = (await api(stack, "/account-limits?format=table")).body as string;
    expect(table).toContain("Client keys");
    expect(table).toMatch(/mixed\s+active\s+3/);

    // The usage history has it per key and hour, by name.
    const usage = (await api(stack, "/api/usage?range=24h")).body;
    expect(usage.byKey.mixed.at(-1).requests).toBe(3);
    expect(Object.keys(usage.byKey).every((name: string) => !name.includes("agcp-"))).toBe(true);

    const metrics = (await api(stack, "/metrics")).body as string;
    expect(metrics).toContain('agcp_key_requests_total{key="mixed",outcome="ok"} 3');
    expect(metrics).toMatch(/agcp_key_refusals_total\{key="five-per-minute",limit="rpm"\} [1-9]/);
  });
});

describe("secrets", () => {
  test("no key secret appears in the state folder, the key list, the table, the metrics or the log", async () => {
    await stack.agcp.runtime.usage.flush();
    await stack.agcp.runtime.state.store.flush();
    const outputs = [
      JSON.stringify((await api(stack, "/api/keys")).body),
      (await api(stack, "/account-limits?format=table")).body as string,
      JSON.stringify((await api(stack, "/account-limits")).body),
      (await api(stack, "/metrics")).body as string,
    ];
    const files: string[] = [];
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) walk(p);
        else files.push(readFileSync(p, "utf8"));
      }
    };
    walk(dir);
    expect(files.join("").length).toBeGreaterThan(0);
    expect(secrets.length).toBeGreaterThanOrEqual(8);
    for (const secret of secrets) {
      const tail = secret.slice(-24);
      for (const text of [...outputs, ...files]) expect(text.includes(tail)).toBe(false);
    }
    // The stored keys carry hashes, and the listing none.
    expect(files.join("")).toContain('"hash"');
    expect(outputs[0]).not.toContain('"hash"');
  });
});
