// Out-of-range values in a state file (right type, absurd value): reported once each, replaced by
// their defaults, and neither monitoring nor routing suffers after the restart.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAgcpOn, startSim, type Agcp, type Sim } from "../state/agcp-helpers.ts";

let sim: Sim;
let dir: string;
beforeAll(async () => {
  sim = await startSim(2);
  dir = await mkdtemp(join(tmpdir(), "agcp-bad-state-"));
});
afterAll(async () => {
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Every saved account state file under the fs folder, by account id. */
async function stateFiles(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(join(dir, "pool"), { recursive: true })) {
    const path = join(dir, "pool", String(entry));
    let doc: { state?: { id?: string } };
    try {
      doc = JSON.parse(await readFile(path, "utf8"));
    } catch {
      continue;
    }
    if (doc.state?.id) out.set(doc.state.id, path);
  }
  return out;
}

test("lastUsedAt 1e20, tokens −1e9 and friends: after a restart /account-limits answers 200 and the account is routed normally", async () => {
  const storage = { driver: "fs" as const, dir };
  let agcp: Agcp = await startAgcpOn(sim, storage);
  for (let i = 0; i < 2; i++) expect((await agcp.ask()).ok).toBe(true);
  await agcp.close();

  const files = await stateFiles();
  const victim = sim.accounts[0]!.email;
  const path = files.get(victim);
  expect(path).toBeDefined();
  const doc = JSON.parse(await readFile(path!, "utf8"));
  doc.state.lastUsedAt = 1e20;
  doc.state.bucket.tokens = -1e9;
  doc.state.health.score = 1e9;
  doc.state.quota = { "claude-sonnet-4-6": { fraction: 7, fetchedAt: Date.now() } };
  doc.state.cooldowns = {
    "claude-sonnet-4-6": { until: 1e20, reason: "quota_exhausted", hits: 1, since: Date.now(), last429At: Date.now() },
  };
  await writeFile(path!, JSON.stringify(doc));

  agcp = await startAgcpOn(sim, storage);
  try {
    const base = agcp.agcp.url;
    const json = await fetch(`${base}/account-limits`);
    expect(json.status).toBe(200);
    const report = await json.json();
    const account = report.accounts.find((a: { label: string }) => a.label === victim);
    expect(account.lastUsedAt).toBeNull();
    expect(account.tokens).toBeGreaterThanOrEqual(0);
    expect(account.tokens).toBeLessThanOrEqual(report.bucketMax);
    expect(account.health).toBeLessThanOrEqual(100);
    expect(account.cooldowns).toEqual([]);
    const table = await fetch(`${base}/account-limits?format=table`);
    expect(table.status).toBe(200);
    expect(await table.text()).toContain(victim);
    expect((await fetch(`${base}/api/accounts`)).status).toBe(200);

    // Each bad value named once, with what replaced it.
    const warnings = agcp.lines.filter((l) => l.type === "warn" && l.text.includes("out of range")).map((l) => l.text);
    expect(warnings.length).toBe(1);
    for (const field of ["lastUsedAt 100000000000000000000", "bucket.tokens -1000000000", "health.score 1000000000", "quota.claude-sonnet-4-6.fraction 7", "cooldowns.claude-sonnet-4-6.until"]) {
      expect(warnings[0]).toContain(field);
    }

    // Round-robin takes the repaired account in its turn, like the other one.
    const used = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const answer = await agcp.ask();
      expect(answer.ok).toBe(true);
      if (answer.ok) used.add(answer.account);
    }
    expect(used.has(victim)).toBe(true);
  } finally {
    await agcp.close();
  }
});
