/** Renaming an account and setting its own quota floors through the management API the console uses. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSimulator, demoAccounts, type Simulator } from "../../src/sim/index.ts";
import { expectNoSecrets } from "../monitoring/helpers.ts";
import { startStack, type Stack } from "../support/stack.ts";

const KEY = "account-edit-admin-key";
const SPARE = { email: "spare@agcp.test", refreshToken: "sim-refresh-spare-0123456789", projectId: "spare-project" };

let sim: Simulator;
let simUrl: string;
let dir: string;
let stack: Stack;

const startOn = () =>
  startStack({
    config: { apiKey: KEY },
    simulator: { sim, url: simUrl },
    tweak: (c) => ({ ...c, storage: { ...c.storage, driver: "fs", dir } }),
  });

beforeAll(async () => {
  sim = createSimulator({ accounts: demoAccounts(3), requestsPerQuota: 1_000_000 });
  simUrl = (await sim.listen({ port: 0 })).url;
  await (await fetch(`${simUrl}/__sim/accounts`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(SPARE) })).text();
  dir = mkdtempSync(join(tmpdir(), "agcp-account-edit-"));
  stack = await startOn();
});
afterAll(async () => {
  await stack?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function api(path: string, init: { method?: string; body?: unknown; key?: string | null } = {}) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (init.key !== null) headers["x-api-key"] = init.key ?? KEY;
  const res = await fetch(`${stack.url}${path}`, {
    method: init.method ?? (init.body !== undefined ? "POST" : "GET"),
    headers,
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return { status: res.status, text, body: text ? JSON.parse(text) : null };
}

const patch = (id: string, body: unknown, key?: string | null) => api(`/api/accounts/${encodeURIComponent(id)}`, { method: "PATCH", body, ...(key !== undefined && { key }) });

async function ask(): Promise<string> {
  const { response } = await stack.client.messages
    .create({ model: "claude-sonnet-4-6", max_tokens: 8, messages: [{ role: "user", content: "hi" }] })
    .withResponse();
  return response.headers.get("x-agcp-account") ?? "?";
}

/** Leaves only `ids` enabled (so the next request can only go to them); returns how to undo it. */
async function onlyEnabled(ids: string[]): Promise<() => Promise<void>> {
  const all = (await api("/api/accounts")).body.accounts.map((a: { id: string }) => a.id) as string[];
  for (const id of all) await api(`/api/accounts/${encodeURIComponent(id)}/${ids.includes(id) ? "enable" : "disable"}`, { method: "POST" });
  return async () => {
    for (const id of (await api("/api/accounts")).body.accounts.map((a: { id: string }) => a.id) as string[]) {
      await api(`/api/accounts/${encodeURIComponent(id)}/enable`, { method: "POST" });
    }
  };
}

describe("renaming an account", () => {
  test("a stored account gets a new label: it serves under it, keeps its routing state, and the old one is gone", async () => {
    await stack.agcp.runtime.state.accounts.add({ label: "spare", email: SPARE.email, refreshToken: SPARE.refreshToken });
    const restore = await onlyEnabled(["spare"]);
    try {
      expect(await ask()).toBe("spare");
      const before = stack.agcp.runtime.pool.account("spare")!;
      expect(before.lastUsedAt).toBeGreaterThan(0);

      const renamed = await patch("spare", { label: "night shift" });
      expect(renamed.status).toBe(200);
      expect(renamed.body.account).toMatchObject({ label: "night shift", email: SPARE.email, source: "stored" });
      expectNoSecrets(renamed.text, [SPARE.refreshToken], "the PATCH answer");

      const listed = (await api("/api/accounts")).body;
      expect(listed.accounts.map((a: { id: string }) => a.id)).toContain("night shift");
      expect(listed.accounts.map((a: { id: string }) => a.id)).not.toContain("spare");
      expect(listed.sources["night shift"]).toBe("stored");
      // What the pool had learnt about the account moved with its name.
      const after = stack.agcp.runtime.pool.account("night shift")!;
      expect(after.lastUsedAt).toBe(before.lastUsedAt);
      expect(after.enabled).toBe(true);
      expect(await ask()).toBe("night shift");
      expect((await patch("spare", { label: "again" })).status).toBe(404);
    } finally {
      await restore();
    }
  });

  test("refusals say why and change nothing: taken labels, config-file accounts, bad labels, unknown fields", async () => {
    await stack.agcp.runtime.state.accounts.add({ label: "second", refreshToken: SPARE.refreshToken });
    await stack.agcp.runtime.state.accounts.add({ label: "third", refreshToken: SPARE.refreshToken });
    const taken = await patch("second", { label: "third" });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(taken.body.error.message).toContain('already an account "third"');

    const toConfig = await patch("second", { label: "demo1@agcp.test" });
    expect(toConfig.status).toBe(409);
    expect(toConfig.body.error.message).toContain("agcp.config.ts");

    const configured = await patch("demo1@agcp.test", { label: "mine" });
    expect(configured.status).toBe(409);
    expect(configured.body.error.message).toContain("rename it there (accounts[].label)");
    const configuredFloors = await patch("demo1@agcp.test", { floors: { floor: 0.2 } });
    expect(configuredFloors.status).toBe(409);
    expect(configuredFloors.body.error.message).toContain("accounts[].quota");

    for (const label of ["", " padded", "line\nbreak", "日本"]) {
      const bad = await patch("second", { label });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toStartWith("label: expected 1 to 200 printable ASCII characters");
    }
    expect((await patch("second", {})).body.error.message).toBe('body: expected "label", "floors" or both');
    expect((await patch("second", { name: "x" })).status).toBe(400);
    expect((await patch("second", "not an object")).status).toBe(400);

    const ids = (await api("/api/accounts")).body.accounts.map((a: { id: string }) => a.id);
    expect(ids).toEqual(expect.arrayContaining(["second", "third", "demo1@agcp.test"]));
    expect(ids).not.toContain("mine");
    for (const id of ["second", "third"]) expect((await api(`/api/accounts/${id}`, { method: "DELETE" })).status).toBe(200);
  });
});

describe("per-account floors", () => {
  test("a floor above the account's remaining quota keeps it out of routing at once; null brings it back", async () => {
    // demo1's Claude 5-hour window is at 30 %; only it and the renamed spare serve.
    await stack.control(`/accounts/${encodeURIComponent("demo1@agcp.test")}`, { body: { buckets: { "3p-5h": { remainingFraction: 0.3, resetInMs: 3_600_000 } } } });
    await api("/api/quota/refresh", { method: "POST" });
    const restore = await onlyEnabled(["demo1@agcp.test", "night shift"]);
    const strategy = stack.agcp.runtime.pool.strategy;
    try {
      await api("/api/strategy", { method: "PUT", body: { strategy: "round-robin" } });
      const before = new Set<string>();
      for (let i = 0; i < 4; i++) before.add(await ask());
      expect(before).toEqual(new Set(["demo1@agcp.test", "night shift"]));

      // The spare's Claude 5-hour window is at 30 % too: its own floor of 50 % keeps it out, demo1 serves alone.
      await stack.control(`/accounts/${encodeURIComponent(SPARE.email)}`, { body: { buckets: { "3p-5h": { remainingFraction: 0.3, resetInMs: 3_600_000 } } } });
      await api("/api/quota/refresh", { method: "POST" });
      const set = await patch("night shift", { floors: { pools: { claude: { "5h": 0.5 } }, models: { "gemini-3-flash": 0.1 } } });
      expect(set.status).toBe(200);
      expect(set.body.account.floors).toEqual({ pools: { claude: { "5h": 0.5 } }, models: { "gemini-3-flash": 0.1 } });
      expect((await api("/api/accounts")).body.floors["night shift"]).toEqual(set.body.account.floors);
      const window = stack.agcp.runtime.pool.account("night shift")!.windows.find((w) => w.pool === "claude" && w.window === "5h")!;
      expect(window.floor).toBe(0.5);
      for (let i = 0; i < 4; i++) expect(await ask()).toBe("demo1@agcp.test");

      // A bad floor is refused with the config file's words, and the floors in force stay.
      const bad = await patch("night shift", { floors: { pools: { claude: { "5h": 1.5 } } } });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toBe("floors.pools.claude.5h: a number between 0 and 0.99");
      expect((await patch("night shift", { floors: { pool: {} } })).status).toBe(400);
      expect((await api("/api/accounts")).body.floors["night shift"]).toEqual(set.body.account.floors);

      const cleared = await patch("night shift", { floors: null });
      expect(cleared.status).toBe(200);
      expect(cleared.body.account.floors).toBeUndefined();
      const after = new Set<string>();
      for (let i = 0; i < 4; i++) after.add(await ask());
      expect(after.has("night shift")).toBe(true);
      await patch("night shift", { floors: { floor: 0.25 } });
    } finally {
      await api("/api/strategy", { method: "PUT", body: { strategy } });
      await restore();
    }
  });

  test("the rename and the floors survive a restart on the fs driver", async () => {
    await stack.close();
    stack = await startOn();
    const listed = (await api("/api/accounts")).body;
    expect(listed.sources["night shift"]).toBe("stored");
    expect(listed.floors["night shift"]).toEqual({ floor: 0.25 });
    expect(stack.agcp.runtime.pool.stateOf("night shift")!.floors).toEqual({ default: 0.25, perModel: {} });
  });

  test("without the admin key the edit is refused", async () => {
    const res = await patch("night shift", { label: "intruder" }, null);
    expect(res.status).toBe(401);
    expect(res.body.error.type).toBe("authentication_error");
    expect((await api("/api/accounts")).body.sources["night shift"]).toBe("stored");
  });
});
