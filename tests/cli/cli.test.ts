import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { runCli, spawnCli, tempDir } from "./helpers.ts";

describe("help and version", () => {
  const cases: Array<[string[], string]> = [
    [["--help"], "$ agcp start --demo"],
    [["start", "--help"], "$ agcp start --port 9000 --strategy sticky"],
    [["init", "--help"], "$ agcp init --force"],
    [["sim", "--help"], "$ agcp sim --port 9100 --accounts 5"],
  ];
  for (const [args, example] of cases) {
    test(`agcp ${args.join(" ")} shows usage and examples`, async () => {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("USAGE");
      expect(r.stdout).toContain("EXAMPLES");
      expect(r.stdout).toContain(example);
    });
  }

  test("start --help lists its flags", async () => {
    const r = await runCli(["start", "--help"]);
    for (const flag of ["--port", "--host", "--strategy", "--config", "--demo", "--demo-accounts", "--sim-port", "--log-level"]) {
      expect(r.stdout).toContain(flag);
    }
  });

  test("--version prints the package version, and from source says so", async () => {
    const r = await runCli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`agcp ${pkg.version} (from source, bun ${Bun.version} ${process.platform}/${process.arch})`);
  });
});

describe("usage errors exit 2", () => {
  test("unknown strategy", async () => {
    const r = await runCli(["start", "--strategy=fastest"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("fastest");
  });

  test("unknown command, with a suggestion", async () => {
    const r = await runCli(["strat"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown command "strat"');
    expect(r.stderr).toContain('did you mean "start"');
  });

  test("no command at all", async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("USAGE");
  });

  test("unknown flag, with a suggestion", async () => {
    const r = await runCli(["start", "--prot", "9000"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--prot");
    expect(r.stderr).toContain("did you mean --port");
  });

  test("bad flag values", async () => {
    for (const args of [["start", "--port", "abc"], ["start", "--demo", "--demo-accounts", "0"], ["sim", "--accounts", "x"], ["--log-level", "loud", "init"]]) {
      const r = await runCli(args);
      expect(r.code, args.join(" ")).toBe(2);
    }
  });

  test("a bad config file: stderr names the file and every bad field", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "agcp.config.ts"), `export default { strategy: "fastest", port: "x" }\n`);
    const r = await runCli(["start"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('agcp.config.ts: strategy: expected one of "hybrid", "sticky", "round-robin", "reset-aware", found "fastest"');
    expect(r.stderr).toContain('agcp.config.ts: port: expected an integer between 1 and 65535, found "x"');
  });

  test("a config file that does not parse", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "agcp.config.ts"), `export default { port: 1,, }\n`);
    const r = await runCli(["start"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("agcp.config.ts: expected a config file that loads");
  });

  test("a missing --config file", async () => {
    const r = await runCli(["start", "--config", "missing.ts"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing.ts");
  });

  test("AGCP_PORT that is not a number", async () => {
    const r = await runCli(["start"], { env: { AGCP_PORT: "x" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('AGCP_PORT: expected an integer between 1 and 65535, found "x"');
  });

  test("start without accounts explains how to add one and how to try --demo", async () => {
    const r = await runCli(["start"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("refreshTokenEnv");
    expect(r.stderr).toContain("agcp accounts add");
    expect(r.stderr).toContain("agcp start --demo");
  });
});

describe("init", () => {
  test("writes a config and its types, refuses to overwrite, --force overwrites", async () => {
    const dir = tempDir();
    const first = await runCli(["init"], { cwd: dir });
    expect(first.code).toBe(0);
    const config = readFileSync(join(dir, "agcp.config.ts"), "utf8");
    const types = readFileSync(join(dir, "agcp.types.ts"), "utf8");
    expect(config).toContain('import type { AgcpConfig } from "./agcp.types.ts"');
    expect(config).toContain('refreshTokenEnv: "AGCP_TOKEN_1"');
    expect(types).toBe(readFileSync(join(import.meta.dir, "../../src/config/types.ts"), "utf8"));

    writeFileSync(join(dir, "agcp.config.ts"), "// mine\nexport default {}\n");
    const again = await runCli(["init"], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("--force");
    expect(readFileSync(join(dir, "agcp.config.ts"), "utf8")).toBe("// mine\nexport default {}\n");

    const forced = await runCli(["init", "--force"], { cwd: dir });
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, "agcp.config.ts"), "utf8")).toBe(config);
  });

  test("the starter config loads: start then only complains about missing accounts", async () => {
    const dir = tempDir();
    expect((await runCli(["init"], { cwd: dir })).code).toBe(0);
    expect(existsSync(join(dir, "node_modules"))).toBe(false);
    const r = await runCli(["start"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("No enabled accounts");
  });

  test("the starter type-checks with no node_modules and no tsconfig", async () => {
    const dir = tempDir();
    expect((await runCli(["init"], { cwd: dir })).code).toBe(0);
    const tsc = join(import.meta.dir, "../../node_modules/.bin/tsc");
    const ok = Bun.spawnSync([tsc, "--noEmit", "--strict", "agcp.config.ts"], { cwd: dir });
    expect(ok.stdout.toString() + ok.stderr.toString()).toBe("");
    expect(ok.exitCode).toBe(0);
    // ...and the types really constrain it.
    writeFileSync(join(dir, "bad.ts"), `import type { AgcpConfig } from "./agcp.types.ts";\nexport default { strategy: "fastest" } satisfies AgcpConfig;\n`);
    const bad = Bun.spawnSync([tsc, "--noEmit", "--strict", "bad.ts"], { cwd: dir });
    expect(bad.exitCode).not.toBe(0);
  });
});

describe("sim", () => {
  test("prints its URL and accounts, serves the control API, exits 0 on SIGTERM", async () => {
    const cli = spawnCli(["sim", "--accounts", "2"]);
    try {
      const [, url] = await cli.waitFor(/Simulator listening on (http:\/\/127\.0\.0\.1:\d+)/, 10_000);
      await cli.waitFor(/demo2@agcp\.test/, 5_000);
      const res = await fetch(`${url}/__sim/accounts`);
      expect(res.status).toBe(200);
      const accounts = (await res.json()) as Array<{ email: string }>;
      expect(accounts.map((a) => a.email)).toEqual(["demo1@agcp.test", "demo2@agcp.test"]);
      cli.proc.kill("SIGTERM");
      expect(await cli.proc.exited).toBe(0);
    } finally {
      cli.proc.kill("SIGKILL");
    }
  });
});
