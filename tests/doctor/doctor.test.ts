// `agcp doctor` as a user runs it: a real CLI process against the simulator, a real state folder
// with a wrong mode (tests run as root, where the mode bits are what gives it away), a real
// unreachable proxy port, and the pure findings for what cannot be staged (clock skew).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { checkFsState, checkRedisState } from "../../src/doctor/state-store.ts";
import { clockFinding } from "../../src/doctor/network.ts";
import { createSimulator, demoAccounts, type Simulator } from "../../src/sim/index.ts";
import { freePort, runCli, tempDir } from "../cli/helpers.ts";
import { expectNoSecrets } from "../monitoring/helpers.ts";
import { startRedisServer } from "../support/loopback.ts";

describe("agcp doctor --demo", () => {
  test("all green against the built-in simulator, exit 0; --json says the same", async () => {
    const port = String(await freePort());
    const r = await runCli(["doctor", "--demo", "--port", port]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/All \d+ checks passed\./);
    expect(r.stdout).not.toMatch(/^[✖!]/m);
    for (const check of ["config", "oauth", "state", "port", "proxy", "clock", "identity", "account"]) expect(r.stdout).toMatch(new RegExp(`^✔ ${check}\\b`, "m"));
    expect(r.stdout.match(/^✔ account/gm)).toHaveLength(3);

    const json = await runCli(["doctor", "--demo", "--json", "--port", port]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.ok).toBe(true);
    expect(report.findings.every((f: { status: string }) => f.status === "ok")).toBe(true);
  }, 30_000);
});

describe("agcp doctor on a broken setup", () => {
  const accounts = demoAccounts(2);
  let sim: Simulator;
  let simUrl: string;
  let blocker: Server;
  let dir: string;
  let state: string;
  let deadProxyPort: number;

  beforeAll(async () => {
    sim = createSimulator({ accounts, chunkDelayMs: 0 });
    simUrl = (await sim.listen({ port: 0 })).url;
    sim.state.accounts.get(accounts[1]!.email)!.revoked = true;
    dir = tempDir("agcp-doctor-");
    state = join(dir, "state");
    mkdirSync(state);
    chmodSync(state, 0o555); // read-only for its owner: root still writes, the service user would not
    deadProxyPort = await freePort();
    blocker = createServer(() => {});
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
    writeFileSync(
      join(dir, "agcp.config.ts"),
      `const sim = ${JSON.stringify(simUrl)};
export default {
  storage: { driver: "fs", dir: "./state" },
  upstream: { hosts: [sim], oauth: { tokenUrl: sim + "/token", userinfoUrl: sim + "/oauth2/v1/userinfo", authorizeUrl: sim + "/o/oauth2/v2/auth" } },
  accounts: [
    { label: "good", refreshTokenEnv: "TOKEN_GOOD" },
    { label: "revoked", refreshTokenEnv: "TOKEN_REVOKED" },
    { label: "proxied", refreshTokenEnv: "TOKEN_GOOD", proxy: "http://u:proxy-pw-77@127.0.0.1:${deadProxyPort}", enabled: false },
  ],
};
`,
    );
  });
  afterAll(async () => {
    chmodSync(state, 0o700);
    blocker.close();
    await sim.close();
  });

  const env = () => ({ TOKEN_GOOD: accounts[0]!.refreshToken, TOKEN_REVOKED: accounts[1]!.refreshToken });
  const blockedPort = () => String((blocker.address() as { port: number }).port);

  test("names the revoked account and the state folder's mode, each with its fix, and exits 1", async () => {
    const r = await runCli(["doctor", "--port", blockedPort()], { cwd: dir, env: env() });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✖ account +revoked: token failed: auth_revoked: .*$/m);
    expect(r.stdout).toMatch(/→ Sign in again: agcp accounts add --label revoked .*the new token takes over from the config file's/);
    expect(r.stdout).toMatch(new RegExp(`^✖ state +State folder ${state} is not writable by its owner \\(mode 0555\\); root gets past that, a service user would not\\.$`, "m"));
    expect(r.stdout).toContain(`→ chmod 700 ${state}`);
    expect(r.stdout).toMatch(/^✔ account +good: token ok, pro tier, project \S+, \d+ models, quota gemini 5h \d+% · weekly \d+%, claude 5h \d+% · weekly \d+%\.$/m);
    // The other problems staged here: a port taken by something that is not agcp, a proxy nobody listens on.
    expect(r.stdout).toMatch(/^✖ port +127\.0\.0\.1:\d+ is taken by another program\.$/m);
    expect(r.stdout).toMatch(new RegExp(`^✖ proxy +Proxy http://u:\\*\\*\\*@127\\.0\\.0\\.1:${deadProxyPort} \\(used by proxied\\) cannot be reached: ECONNREFUSED\\.$`, "m"));
    expect(r.stdout).toMatch(/^✖ account +proxied: token failed: network: .*via proxy http:\/\/u:\*\*\*@.*\(disabled: no requests go to it\)\.$/m);
    expect(r.stdout).toMatch(/^5 problems to fix\.$/m);
    expectNoSecrets(r.stdout + r.stderr, [accounts[0]!.refreshToken, accounts[1]!.refreshToken, "proxy-pw-77"], "doctor output");
  }, 30_000);

  test("--json: the same findings for scripts, ok false", async () => {
    const r = await runCli(["doctor", "--json", "--port", blockedPort()], { cwd: dir, env: env() });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { ok: boolean; findings: Array<{ check: string; subject?: string; status: string; fix?: string }> };
    expect(report.ok).toBe(false);
    const failed = report.findings.filter((f) => f.status === "fail").map((f) => `${f.check}:${f.subject ?? ""}`);
    expect(failed).toContain("account:revoked");
    expect(failed).toContain(`state:${state}`);
    expect(report.findings.filter((f) => f.status === "fail").every((f) => f.fix)).toBe(true);
  }, 30_000);

  test("a config that does not resolve is a finding, and the rest is still checked", async () => {
    const r = await runCli(["doctor", "--port", blockedPort()], { cwd: dir, env: { TOKEN_GOOD: accounts[0]!.refreshToken } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✖ config +Invalid configuration:/m);
    expect(r.stdout).toContain("TOKEN_REVOKED");
    expect(r.stdout).toMatch(/^✖ state /m);
  }, 30_000);
});

describe("state folder checks (mode bits, so they hold for root too)", () => {
  test("private and writable: ok; world-writable: fail; other-readable token files: warn; missing under a good parent: ok", () => {
    const base = tempDir("agcp-state-check-");
    const good = join(base, "good");
    mkdirSync(good, { mode: 0o700 });
    expect(checkFsState(good, { uid: 0 }).map((f) => f.status)).toEqual(["ok"]);

    const open = join(base, "open");
    mkdirSync(open);
    chmodSync(open, 0o777);
    const [wide] = checkFsState(open, { uid: 0 });
    expect(wide).toMatchObject({ status: "fail", fix: `chmod 700 ${open}` });

    const leaky = join(base, "leaky");
    mkdirSync(leaky);
    chmodSync(leaky, 0o755);
    writeFileSync(join(leaky, "accounts.json"), "{}", { mode: 0o644 });
    chmodSync(join(leaky, "accounts.json"), 0o644);
    expect(checkFsState(leaky, { uid: 0 })[0]).toMatchObject({ status: "warn", fix: `chmod -R go-rwx ${leaky}` });

    expect(checkFsState(join(good, "later", "agcp"), { uid: 0 })[0]!.status).toBe("ok");
  });

  test("a folder owned by another user fails for a non-root agcp", () => {
    const dir = tempDir("agcp-state-owner-");
    chmodSync(dir, 0o700);
    const [f] = checkFsState(dir, { uid: 4242 });
    expect(f).toMatchObject({ status: "fail" });
    expect(f!.message).toContain("agcp runs as uid 4242");
  });
});

test("clock skew: seconds of noise are fine, minutes warn, beyond five minutes fail", () => {
  const server = Date.parse("2026-12-02T12:00:00Z");
  const date = new Date(server).toUTCString();
  expect(clockFinding(server + 1_500, date, "x").status).toBe("ok");
  expect(clockFinding(server + 90_000, date, "x")).toMatchObject({ status: "warn", message: "This machine's clock is 90 s ahead of x." });
  expect(clockFinding(server - 400_000, date, "x")).toMatchObject({ status: "fail", message: "This machine's clock is 400 s behind x." });
  expect(clockFinding(server, null, "x").status).toBe("warn");
});

describe("state store on Redis", () => {
  test("a live redis-server answers PING; a dead URL is a failure with the fix and a masked password", async () => {
    const redis = await startRedisServer();
    if (!redis) {
      if (process.env.CI) throw new Error("redis-server is required in CI");
      return console.warn("redis-server not installed: skipped outside CI");
    }
    try {
      const [ok] = await checkRedisState(redis.url);
      expect(ok).toMatchObject({ check: "state", status: "ok" });
      expect(ok!.message).toContain("answers PING (PONG)");
    } finally {
      await redis.stop();
    }
    const dead = await freePort();
    const [bad] = await checkRedisState(`redis://:hunter2-redis@127.0.0.1:${dead}/0`, 1_000);
    expect(bad).toMatchObject({ status: "fail" });
    expect(bad!.fix).toContain("redis-server");
    expect(JSON.stringify(bad)).not.toContain("hunter2-redis");
  }, 20_000);
});
