// Acceptance: `agcp start --demo` serves the late-2026 lineup, learned from the simulated accounts' catalogs.
import { expect, test } from "bun:test";
import { freePort, spawnCli, tempDir } from "../cli/helpers.ts";
import { waitFor } from "../e2e/helpers.ts";

test("agcp start --demo: /v1/models lists Gemini 3.8 Flash and Claude 5.5 tiers, and no retired id", async () => {
  const port = await freePort();
  const cli = spawnCli(["start", "--demo", "--port", String(port), "--sim-port", "0"], { cwd: tempDir("agcp-lineup-") });
  try {
    // gemini-3.8-flash-tiered is not in agcp's build-time list: seeing it means the catalogs were read.
    const ids = await waitFor(
      "the demo accounts' catalogs",
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/v1/models`).catch(() => undefined);
        if (res?.status !== 200) return undefined;
        const list = ((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id);
        return list.includes("gemini-3.8-flash-tiered") ? list : undefined;
      },
      20_000,
      100,
    );
    for (const id of ["gemini-3.8-flash-high", "gemini-3.8-flash-medium", "gemini-3.8-flash-low"]) expect(ids).toContain(id);
    for (const id of ["claude-opus-5-5-high", "claude-opus-5-5-medium", "claude-opus-5-5-low", "claude-sonnet-5-5-high"]) expect(ids).toContain(id);
    for (const gone of ["claude-sonnet-4-6-thinking", "gemini-3.1-pro-high"]) expect(ids).not.toContain(gone);
    cli.proc.kill("SIGTERM");
    expect(await cli.proc.exited).toBe(0);
  } finally {
    cli.proc.kill("SIGKILL");
  }
});
