// `agcp start` end to end through the real server (src/server) against the in-process simulator.
import { describe, expect, test } from "bun:test";
import { createServer } from "node:net";
import { freePort, runCli, spawnCli, waitForOk } from "./helpers.ts";

describe("agcp start --demo", () => {
  test("serves /health and a message through the simulator, exits 0 on SIGTERM", async () => {
    const port = await freePort();
    const cli = spawnCli(["start", "--demo", "--demo-accounts", "2", "--port", String(port)]);
    try {
      await cli.waitFor(/export ANTHROPIC_AUTH_TOKEN=/, 15_000);
      expect(cli.output()).toMatch(/agcp listening on http:\/\/127\.0\.0\.1:\d+/);
      expect(cli.output()).toMatch(/Simulator \(fake Google upstream, 2 accounts\): http:\/\/127\.0\.0\.1:\d+/);
      expect(cli.output()).toContain(`export ANTHROPIC_BASE_URL=http://127.0.0.1:${port}`);
      expect(cli.output()).toContain(`curl -N http://127.0.0.1:${port}/v1/messages`);
      await waitForOk(`http://127.0.0.1:${port}/health`, 5_000);

      const res = await fetch(`http://127.0.0.1:${port}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
        body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 64, messages: [{ role: "user", content: "hi" }] }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { type?: string }).type).toBe("message");

      cli.proc.kill("SIGTERM");
      expect(await cli.proc.exited).toBe(0);
    } finally {
      cli.proc.kill("SIGKILL");
    }
  });

  test("a port already in use is a runtime failure: exit 1", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
    const address = blocker.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      const cli = spawnCli(["start", "--demo", "--port", String(port)]);
      try {
        expect(await cli.proc.exited).toBe(1);
        await cli.waitFor(new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is already in use`), 1_000);
      } finally {
        cli.proc.kill("SIGKILL");
      }
    } finally {
      blocker.close();
    }
  });

  test("listening beyond loopback without an admin key is refused (exit 2) unless --allow-open", async () => {
    const r = await runCli(["start", "--demo", "--host", "0.0.0.0", "--port", String(await freePort())]);
    expect(r.code).toBe(2);
    expect(r.stderr + r.stdout).toContain("without an admin key");
    expect(r.stderr + r.stdout).toContain("--allow-open");
  });
});
