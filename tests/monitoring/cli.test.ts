// `agcp accounts` as a user runs it: real subprocesses, a real simulator for Google, a real fs state store.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createSimulator, demoAccounts, type Simulator } from "../../src/sim/index.ts";
import { runCli, spawnCli, tempDir, type CliResult } from "../cli/helpers.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { expectNoSecrets } from "./helpers.ts";

const KEY = "cli-test-key";
let sim: Simulator;
let simUrl: string;
let dir: string;
let env: Record<string, string>;
const outputs: string[] = [];

beforeAll(async () => {
  sim = createSimulator({ accounts: demoAccounts(1), clientId: "agcp-cli-test" });
  simUrl = (await sim.listen({ port: 0 })).url;
  dir = tempDir("agcp-accounts-");
  // The config names its account's token by env var, like a careful user's would.
  writeFileSync(
    join(dir, "agcp.config.ts"),
    `const sim = ${JSON.stringify(simUrl)};
export default {
  storage: { driver: "fs", dir: "./state" },
  upstream: {
    hosts: [sim],
    oauth: {
      tokenUrl: sim + "/token",
      userinfoUrl: sim + "/oauth2/v1/userinfo",
      authorizeUrl: sim + "/o/oauth2/v2/auth",
      clientId: "agcp-cli-test",
      clientSecret: "unused-by-the-sim",
    },
  },
  accounts: [{ label: "configured", refreshTokenEnv: "AGCP_TEST_TOKEN" }],
};
`,
  );
  env = { AGCP_TEST_TOKEN: demoAccounts(1)[0]!.refreshToken };
});

afterAll(async () => {
  // Every byte any command printed, checked once every credential the sim issued exists.
  const secrets = [...sim.state.accessTokens.keys(), ...[...sim.state.accounts.values()].map((a) => a.refreshToken)];
  expectNoSecrets(outputs.join("\n"), secrets, "CLI output");
  await sim?.close();
});

async function accounts(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult & { all: string }> {
  const r = await runCli(["accounts", ...args], { cwd: dir, env: { ...env, ...extraEnv } });
  const all = r.stdout + r.stderr;
  outputs.push(all);
  return { ...r, all };
}

/** Starts `agcp accounts add` with a stdin we can write to, and hands back its sign-in URL. */
async function startAdd(args: string[]) {
  const cli = spawnCli(["accounts", "add", "--no-browser", "--callback-port", "0", ...args], { cwd: dir, env, stdin: "pipe" });
  const url = (await cli.waitFor(/(http:\/\/\S+\/o\/oauth2\/v2\/auth\?\S+)/, 10_000))[1]!;
  const proc = cli.proc as Bun.Subprocess<"pipe", "pipe", "pipe">;
  return {
    proc,
    url,
    output: cli.output,
    async finish() {
      const done = await cli.finish();
      outputs.push(done.text);
      return done;
    },
  };
}

/** What the user's browser would do: the sim's consent page auto-approves and redirects to the callback. */
async function consent(authorizeUrl: string): Promise<string> {
  const res = await fetch(authorizeUrl, { redirect: "manual" });
  expect(res.status).toBe(302);
  return res.headers.get("location")!;
}

describe("agcp accounts add", () => {
  test("signs in end to end through the loopback callback and stores the account", async () => {
    const add = await startAdd(["--email", "new1@agcp.test"]);
    const authorize = new URL(add.url);
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize.searchParams.get("access_type")).toBe("offline");
    expect(authorize.searchParams.get("redirect_uri")).toMatch(/^http:\/\/localhost:\d+\/oauth-callback$/);
    const callback = await consent(add.url);
    const page = await fetch(callback);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Signed in");
    const { code, text } = await add.finish();
    expect(text).toContain("Added new1@agcp.test (pro tier).");
    expect(code).toBe(0);
    expect(sim.state.accounts.has("new1@agcp.test")).toBe(true);
  });

  test("--no-browser accepts the pasted redirect URL, after refusing junk", async () => {
    const add = await startAdd(["--email", "new2@agcp.test", "--label", "pasted"]);
    const callback = await consent(add.url);
    add.proc.stdin.write("this is not it\n");
    await add.proc.stdin.flush();
    const deadline = Date.now() + 5_000;
    while (!add.output().includes("Not accepted") && Date.now() < deadline) await Bun.sleep(20);
    add.proc.stdin.write(`${callback}\n`);
    await add.proc.stdin.flush();
    const { code, text } = await add.finish();
    expect(text).toContain("Not accepted");
    expect(text).toContain("Added pasted (pro tier).");
    expect(code).toBe(0);
  });

  test("a callback carrying another sign-in's state is refused", async () => {
    const add = await startAdd(["--email", "new3@agcp.test"]);
    const callback = new URL(await consent(add.url));
    callback.searchParams.set("state", "forged");
    expect((await fetch(callback)).status).toBe(400);
    add.proc.kill();
    await add.finish();
  });
});

describe("agcp accounts list / verify / enable / disable / remove", () => {
  test("list shows config and added accounts from config and the state store", async () => {
    const r = await accounts(["list"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^3 accounts: 3 usable, 0 invalid · gemini: 3 available · claude: 3 available · strategy reset-aware$/m);
    for (const label of ["configured", "new1@agcp.test", "pasted"]) expect(r.stdout).toMatch(new RegExp(`^${label}\\s`, "m"));
    const json = await accounts(["list", "--json"]);
    const report = JSON.parse(json.stdout);
    expect(report.accounts.map((a: { label: string }) => a.label)).toEqual(["configured", "new1@agcp.test", "pasted"]);
  });

  test("verify reads tier and quota, then exits 1 naming the revoked account and the fix", async () => {
    const ok = await accounts(["verify"]);
    expect(ok.all).toContain("All 3 accounts work.");
    expect(ok.stdout).toMatch(/^MODEL\s+configured\s+new1@agcp\.test\s+pasted$/m);
    expect(ok.stdout).toMatch(/^claude-opus-4-6-thinking\s+100%\s+100%\s+100%$/m);
    expect(ok.code).toBe(0);

    sim.state.accounts.get("new2@agcp.test")!.revoked = true;
    try {
      const bad = await accounts(["verify"]);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/^pasted\s.*invalid: auth_revoked/m);
      expect(bad.all).toContain("1 of 3 accounts need attention");
      expect(bad.all).toMatch(/pasted: auth_revoked: .*\n\s+→ .*agcp accounts add/);
    } finally {
      sim.state.accounts.get("new2@agcp.test")!.revoked = false;
    }
  });

  test("disable and enable an added account; config accounts are changed in the file", async () => {
    const off = await accounts(["disable", "pasted"]);
    expect(off.code).toBe(0);
    expect(off.all).toContain("pasted: disabled.");
    expect((await accounts(["list"])).stdout).toMatch(/^pasted\s.*disabled$/m);
    expect((await accounts(["disable", "pasted"])).all).toContain("already disabled");
    expect((await accounts(["enable", "pasted"])).code).toBe(0);
    expect((await accounts(["list"])).stdout).toMatch(/^pasted\s.*available$/m);

    const cfg = await accounts(["disable", "configured"]);
    expect(cfg.code).toBe(2);
    expect(cfg.all).toContain("defined in the config file");
    const unknown = await accounts(["remove", "nobody"]);
    expect(unknown.code).toBe(2);
    expect(unknown.all).toContain('No account "nobody". Known accounts: configured, new1@agcp.test, pasted.');
    // Eight CLI processes: on a loaded machine each takes about a second to start.
  }, 30_000);

  test("a server on the same state store routes to added accounts, and its console changes reach the CLI", async () => {
    const server = await startStack({
      accounts: demoAccounts(1),
      simulator: { sim, url: simUrl },
      config: { apiKey: KEY },
      tweak: (c) => ({
        ...c,
        storage: { ...c.storage, driver: "fs", dir: join(dir, "state") },
        upstream: { ...c.upstream, oauth: { ...c.upstream.oauth, clientId: "agcp-cli-test" } },
      }),
    });
    const call = (path: string, init: RequestInit = {}) =>
      fetch(`${server.url}${path}`, { ...init, headers: { "x-api-key": KEY, "content-type": "application/json" } });
    try {
      const report = await (await call("/account-limits?refresh=1")).json();
      expect(report.accounts.map((a: { label: string }) => a.label)).toEqual(["demo1@agcp.test", "new1@agcp.test", "pasted"]);
      expect(report.accounts[2].tier).toBe("pro");
      expect((await call("/api/strategy", { method: "PUT", body: JSON.stringify({ strategy: "sticky" }) })).status).toBe(200);
      expect((await call("/api/accounts/pasted/disable", { method: "POST" })).status).toBe(200);
    } finally {
      await server.close();
    }
    const list = await accounts(["list"]);
    expect(list.stdout).toMatch(/· strategy sticky$/m);
    expect(list.stdout).toMatch(/^pasted\s.*disabled$/m);
    expect((await accounts(["enable", "pasted"])).code).toBe(0);
  });

  test("remove forgets an added account", async () => {
    const r = await accounts(["remove", "new1@agcp.test"]);
    expect(r.code).toBe(0);
    const list = await accounts(["list"]);
    expect(list.stdout).not.toContain("new1@agcp.test");
    expect(list.stdout).toMatch(/^2 accounts/m);
  });

  test("bare `agcp accounts` without a terminal prints its help", async () => {
    const r = await accounts([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("USAGE");
    expect(r.stdout).toContain("agcp accounts");
    expect(r.stdout).toContain("verify");
  });
});

describe("agcp accounts against a running server (--url)", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: { apiKey: KEY } });
    await fetch(`${stack.url}/account-limits?refresh=1`, { headers: { "x-api-key": KEY } });
  });
  afterAll(async () => {
    const secrets = [...stack.sim.state.accessTokens.keys(), ...[...stack.sim.state.accounts.values()].map((a) => a.refreshToken)];
    expectNoSecrets(outputs.join("\n"), secrets, "CLI output (--url)");
    await stack?.close();
  });

  test("list --url prints the server's own table; a missing key says how to pass it", async () => {
    const r = await accounts(["list", "--url", stack.url, "--api-key", KEY]);
    expect(r.code).toBe(0);
    const served = await (await fetch(`${stack.url}/account-limits?format=table`, { headers: { "x-api-key": KEY } })).text();
    expect(r.stdout.split("\n").slice(0, 2)).toEqual(served.split("\n").slice(0, 2));
    expect(r.stdout).toMatch(/^demo2@agcp\.test\s+ultra\s/m);

    const viaEnv = await accounts(["list", "--url", stack.url], { AGCP_API_KEY: KEY });
    expect(viaEnv.code).toBe(0);
    const denied = await accounts(["list", "--url", stack.url]);
    expect(denied.code).toBe(1);
    expect(denied.all).toContain("--api-key");
  });

  test("disable --url switches an account on the running server", async () => {
    const r = await accounts(["disable", "demo3@agcp.test", "--url", stack.url, "--api-key", KEY]);
    expect(r.code).toBe(0);
    expect(stack.agcp.runtime.pool.account("demo3@agcp.test")!.enabled).toBe(false);
    expect((await accounts(["enable", "demo3@agcp.test", "--url", stack.url, "--api-key", KEY])).code).toBe(0);
    expect(stack.agcp.runtime.pool.account("demo3@agcp.test")!.enabled).toBe(true);
  });
});
