/** `agcp start --access-log`: one JSON line per request on stdout, and nothing else there. */
import { expect, test } from "bun:test";
import { cleanEnv, freePort, MAIN, tempDir, waitForOk } from "../cli/helpers.ts";

const MARKER = "walrus-lantern-4410";

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
        body: JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 16, stream, messages: [{ role: "user", content: `hello ${MARKER}` }] }),
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
}, 30_000);
