// Smoke test of the compiled single binary for this machine, built exactly as `npm run release`
// builds it: it must run from a folder with no node_modules, write a starter config, load
// TypeScript config files, and serve the demo.
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { hostTarget, releaseBinary, testCommit } from "../support/release-build.ts";
import { freePort, runCli, spawnCli, tempDir, waitForOk } from "./helpers.ts";

const target = hostTarget();
let bin: string[];

beforeAll(async () => {
  if (!target) throw new Error(`no release target for ${process.platform}/${process.arch}`);
  bin = [await releaseBinary(target)];
}, 120_000);

describe("compiled binary", () => {
  test("--version", async () => {
    const r = await runCli(["--version"], { bin });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`agcp ${pkg.version} (commit ${testCommit()}, ${target})`);
  });

  test("init, then TypeScript configs load with no node_modules anywhere", async () => {
    const dir = tempDir("agcp-bin-empty-");
    expect((await runCli(["init"], { cwd: dir, bin })).code).toBe(0);
    expect(existsSync(join(dir, "agcp.config.ts"))).toBe(true);
    expect(existsSync(join(dir, "agcp.types.ts"))).toBe(true);
    expect(existsSync(join(dir, "node_modules"))).toBe(false);

    // The starter is read: it has no accounts, so start explains that (exit 2) instead of failing to load.
    const starter = await runCli(["start"], { cwd: dir, bin });
    expect(starter.code).toBe(2);
    expect(starter.stderr).toContain("No enabled accounts");

    // A bad TS config is validated inside the binary too.
    writeFileSync(join(dir, "bad.config.ts"), `import type { AgcpConfig } from "./agcp.types.ts";\nexport default { strategy: "fastest", port: "x" } satisfies AgcpConfig;\n`);
    const bad = await runCli(["start", "--config", "bad.config.ts"], { cwd: dir, bin });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('bad.config.ts: strategy: expected one of "hybrid", "sticky", "round-robin", "reset-aware", found "fastest"');
    expect(bad.stderr).toContain("bad.config.ts: port: expected an integer");

    const broken = await runCli(["start", "--config", "broken.config.ts"], { cwd: dir, bin });
    expect(broken.code).toBe(2);
    writeFileSync(join(dir, "broken.config.ts"), "export default { port: 1,, }\n");
    const broken2 = await runCli(["start", "--config", "broken.config.ts"], { cwd: dir, bin });
    expect(broken2.code).toBe(2);
    expect(broken2.stderr).toContain("broken.config.ts: expected a config file that loads, found a syntax error");
  });

  test("init + start --demo in an empty folder: /health answers 200, SIGTERM exits 0", async () => {
    const dir = tempDir("agcp-bin-demo-");
    expect((await runCli(["init"], { cwd: dir, bin })).code).toBe(0);
    const port = await freePort();
    const cli = spawnCli(["start", "--demo", "--port", String(port)], { cwd: dir, bin });
    try {
      await waitForOk(`http://127.0.0.1:${port}/health`, 15_000);
      expect(cli.output()).toContain(`agcp.config.ts`);
      cli.proc.kill("SIGTERM");
      expect(await cli.proc.exited).toBe(0);
    } finally {
      cli.proc.kill("SIGKILL");
    }
  });
});
