/** `agcp start --access-log`: one JSON line per request on stdout, and nothing else there. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "bun:test";
import { replay } from "../../src/simulate/workloads.ts";
import { cleanEnv, freePort, MAIN, runCli, tempDir, waitForOk } from "../cli/helpers.ts";

const MARKER = "walrus-lantern-4410";
const SESSION = "0b8f3a52-6c1d-4e7a-9b2f-5d4c3e2a1f09";
const USER_ID = `user_${"cd".repeat(32)}_account_1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d_session_${SESSION}`;

test("--access-log prints one JSON line per request on stdout, with no prompt text and no token", async () => {
  const port = await freePort();
  const proc = Bun.spawn([process.execPath, MAIN, "start", "--demo", "--access-log", "--port", String(port)], {
    cwd: tempDir(),
    env: cleanEnv(),
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  const pump = (async () => {
    for await (const chunk of proc.stdout) out += new TextDecoder().decode(chunk);
  })();
  try {
    await waitForOk(`http://127.0.0.1:${port}/health`, 15_000);
    for (const stream of [false, true]) {
      const res = await fetch(`http://127.0.0.1:${port}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
        // Two turns of one Claude Code session: the same session uuid, the same conversation.
        body: JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 16, stream, metadata: { user_id: USER_ID }, messages: [{ role: "user", content: `hello ${MARKER}` }] }),
      });
      expect(res.status).toBe(200);
      await res.text();
    }
    const deadline = Date.now() + 5_000;
    while (out.trim().split("\n").filter(Boolean).length < 2 && Date.now() < deadline) await Bun.sleep(20);
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
    await pump;
  }
  const lines = out.trim().split("\n").filter(Boolean);
  expect(lines).toHaveLength(2);
  const entries = lines.map((l) => JSON.parse(l));
  expect(entries.map((e) => e.stream)).toEqual([false, true]);
  for (const e of entries) {
    expect(e).toMatchObject({ model: "claude-sonnet-4-6", status: 200, outcome: "ok" });
    expect(typeof e.account).toBe("string");
    expect(e.attempts.length).toBe(1);
  }
  expect(out).not.toContain(MARKER);
  expect(out).not.toMatch(/sim-refresh-|ya29\.|1\/\/0/);
  // Sessions are named by opaque hashes, never the id the client sent.
  expect(out).not.toContain(SESSION);
  expect(entries[0].conversation).toBe(entries[1].conversation);

  // The same lines replay in the strategy simulator: one conversation of two turns.
  const replayed = replay(out);
  expect(replayed.map((r) => [r.sessionId, r.subagent])).toEqual([[entries[0].conversation, false], [entries[0].conversation, false]]);
  const file = join(tempDir(), "access.log");
  writeFileSync(file, `${out}not json\n`);
  const sim = await runCli(["simulate", "--replay", file, "--strategy", "reset-aware", "--days", "1", "--json"]);
  expect(sim.code).toBe(0);
  const report = JSON.parse(sim.stdout);
  expect(report.requests).toBe(2);
  expect(report.strategies[0]).toMatchObject({ name: "reset-aware", served: 2, refused: 0, affinityRate: 1 });
}, 30_000);
