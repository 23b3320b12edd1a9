/** Settings changed from the console: validated like the config file, applied at once, kept across restarts where the file is silent. */
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startStack, type Stack } from "../support/stack.ts";

const put = (stack: Stack, body: unknown) =>
  fetch(`${stack.url}/api/settings`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const get = async (stack: Stack) => (await fetch(`${stack.url}/api/settings`)).json();

test("a pool floor set here keeps a low account out at once; values survive a restart unless the file sets them", async () => {
  const dir = mkdtempSync(join(tmpdir(), "agcp-settings-"));
  const onFs = (c: any) => ({ ...c, storage: { ...c.storage, driver: "fs", dir } });
  const accounts = [1, 2, 3].map((i) => ({ email: `s${i}@agcp.test`, refreshToken: `sim-refresh-s${i}`, tier: "pro" as const }));
  const first = await startStack({ accounts, sim: { requestsPerQuota: 100_000 }, tweak: onFs, config: { bodyLimit: 4 * 1024 * 1024 } });
  try {
    await first.control(`/accounts/${encodeURIComponent("s1@agcp.test")}`, { body: { buckets: { "3p-5h": { remainingFraction: 0.3, resetInMs: 3_600_000 } } } });
    await fetch(`${first.url}/account-limits?refresh=1`);
    const before = await get(first);
    expect(before.sources).toMatchObject({ poolFloors: "default", bodyLimit: "file", logLevel: "default" });

    const res = await put(first, { poolFloors: { claude: { "5h": 0.5 } }, fallback: { "claude-opus-4-6-thinking": "claude-sonnet-4-6" }, bodyLimit: 8 * 1024 * 1024 });
    expect(res.status).toBe(200);
    const after = await res.json();
    expect(after.values.poolFloors).toEqual({ claude: { "5h": 0.5 } });
    expect(after.sources).toMatchObject({ poolFloors: "browser", fallback: "browser", bodyLimit: "browser" });

    const served = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const { response } = await first.client.messages
        .create({ model: "claude-sonnet-4-6", max_tokens: 8, messages: [{ role: "user", content: `r${i}` }] })
        .withResponse();
      served.add(response.headers.get("x-agcp-account") ?? "?");
    }
    expect(served.has("s1@agcp.test")).toBe(false);
    expect(served.size).toBe(2);

    const bad = await put(first, { poolFloors: { claude: { "5h": 1.5 } } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toContain("poolFloors.claude.5h");
    expect((await put(first, { nonsense: 1 })).status).toBe(400);
  } finally {
    await first.close();
  }
  // Restart on the same state: the floor and fallback come back (the file is silent on them); the
  // body limit is the file's again, because the file sets it.
  const second = await startStack({ accounts, sim: { requestsPerQuota: 100_000 }, tweak: onFs, config: { bodyLimit: 4 * 1024 * 1024 } });
  try {
    const s = await get(second);
    expect(s.values.poolFloors).toEqual({ claude: { "5h": 0.5 } });
    expect(s.values.fallback).toEqual({ "claude-opus-4-6-thinking": "claude-sonnet-4-6" });
    expect(s.sources).toMatchObject({ poolFloors: "browser", bodyLimit: "file" });
    expect(s.values.bodyLimit).toBe(4 * 1024 * 1024);
  } finally {
    await second.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);
