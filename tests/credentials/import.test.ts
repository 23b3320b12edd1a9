// `agcp accounts import` / `export` as a user runs them: real subprocesses, the simulator as
// Google (token, userinfo, Cloud Code), a real fs state store, and an agcp server that then
// routes real HTTP requests to the imported accounts.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createSimulator, demoAccounts, type Simulator } from "../../src/sim/index.ts";
import { freePort, runCli, spawnCli, tempDir, waitForOk, type CliResult } from "../cli/helpers.ts";
import { expectNoSecrets } from "../monitoring/helpers.ts";
import { agyTokenJson } from "./fixtures.ts";

// Each step is a CLI process (about a second to start and load its config).
setDefaultTimeout(60_000);

const CLIENT = "agcp-import-test";
const ACCOUNTS = demoAccounts(4);
let sim: Simulator;
let simUrl: string;
const outputs: string[] = [];

function configText(accounts: string): string {
  return `const sim = ${JSON.stringify(simUrl)};
export default {
  storage: { driver: "fs", dir: "./state" },
  upstream: {
    hosts: [sim],
    oauth: { tokenUrl: sim + "/token", userinfoUrl: sim + "/oauth2/v1/userinfo", authorizeUrl: sim + "/o/oauth2/v2/auth",
             clientId: ${JSON.stringify(CLIENT)}, clientSecret: "s" },
  },
  accounts: ${accounts},
};
`;
}

function project(accounts = "[]"): string {
  const dir = tempDir("agcp-import-");
  writeFileSync(join(dir, "agcp.config.ts"), configText(accounts));
  return dir;
}

async function cli(dir: string, args: string[], env: Record<string, string> = {}): Promise<CliResult & { all: string }> {
  const r = await runCli(args, { cwd: dir, env: { HOME: dir, ...env } });
  const all = r.stdout + r.stderr;
  outputs.push(all);
  return { ...r, all };
}

/** Starts `agcp start` on `dir`, sends one message, and returns how many generates each sim account served. */
async function serveOne(dir: string, env: Record<string, string> = {}): Promise<Map<string, number>> {
  const before = new Map([...sim.state.accounts.values()].map((a) => [a.email, a.counters.successfulGenerates]));
  const port = await freePort();
  const server = spawnCli(["start", "--port", String(port)], { cwd: dir, env: { HOME: dir, ...env } });
  try {
    await waitForOk(`http://127.0.0.1:${port}/health`, 15_000);
    const res = await fetch(`http://127.0.0.1:${port}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 64, messages: [{ role: "user", content: "hello" }] }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { type: string }).type).toBe("message");
  } finally {
    server.proc.kill("SIGTERM");
    outputs.push((await server.finish()).text);
  }
  return new Map([...sim.state.accounts.values()].map((a) => [a.email, a.counters.successfulGenerates - (before.get(a.email) ?? 0)]));
}

beforeAll(async () => {
  sim = createSimulator({ accounts: ACCOUNTS, clientId: CLIENT, chunkDelayMs: 0 });
  simUrl = (await sim.listen({ port: 0 })).url;
});

afterAll(async () => {
  const secrets = [...sim.state.accessTokens.keys(), ...[...sim.state.accounts.values()].map((a) => a.refreshToken)];
  expectNoSecrets(outputs.join("\n"), secrets, "CLI output");
  await sim?.close();
});

describe("agcp accounts import", () => {
  test("an agy token file without an e-mail: the e-mail comes from userinfo, and the account then serves requests", async () => {
    const dir = project();
    const file = join(dir, "antigravity-oauth-token");
    writeFileSync(file, agyTokenJson(ACCOUNTS[1]!.refreshToken));
    const r = await cli(dir, ["accounts", "import", "agy", "--file", file]);
    expect(r.code).toBe(0);
    expect(r.all).toContain(`${ACCOUNTS[1]!.email}: added (from ${file})`);
    const served = await serveOne(dir);
    expect(served.get(ACCOUNTS[1]!.email)).toBe(1);
  });

  test("the default agy path under HOME, and the Secret Service through secret-tool on PATH", async () => {
    const dir = project();
    mkdirSync(join(dir, ".gemini", "antigravity-cli"), { recursive: true });
    writeFileSync(join(dir, ".gemini", "antigravity-cli", "antigravity-oauth-token"), agyTokenJson(ACCOUNTS[0]!.refreshToken, ACCOUNTS[0]!.email));
    const bin = join(dir, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "secret-tool"), `#!/bin/sh\n[ "$*" = "lookup service gemini username antigravity" ] || exit 1\ncat <<'EOF'\n${agyTokenJson(ACCOUNTS[2]!.refreshToken)}\nEOF\n`);
    chmodSync(join(bin, "secret-tool"), 0o755);
    const r = await cli(dir, ["accounts", "import"], { PATH: `${bin}:${process.env.PATH}` });
    expect(r.code).toBe(0);
    expect(r.all).toContain(`${ACCOUNTS[0]!.email}: added`);
    expect(r.all).toContain(`${ACCOUNTS[2]!.email}: added (from the Secret Service item gemini/antigravity)`);
    const list = await cli(dir, ["accounts", "list"]);
    expect(list.stdout).toMatch(/^2 accounts/m);
  });

  test("a revoked token is refused with the fix, and nothing is stored", async () => {
    const dir = project();
    const file = join(dir, "token.json");
    writeFileSync(file, agyTokenJson("1//revoked-or-never-issued", "gone@gmail.com"));
    const r = await cli(dir, ["accounts", "import", "agy", "--file", file]);
    expect(r.code).toBe(1);
    expect(r.all).toContain("gone@gmail.com from");
    expect(r.all).toContain("revoked or expired; sign in again");
    expect((await cli(dir, ["accounts", "list"])).all).not.toContain("gone@gmail.com");
  });

  test("a revoked config-file account is signed in again with --label: the new token takes over, remove goes back", async () => {
    const dir = project(`[{ label: "work", refreshTokenEnv: "WORK_TOKEN" }]`);
    const env = { WORK_TOKEN: "1//revoked-config-token" };
    const bad = await cli(dir, ["accounts", "verify"], env);
    expect(bad.code).toBe(1);
    expect(bad.all).toContain("work: auth_revoked");

    const file = join(dir, "token.json");
    writeFileSync(file, agyTokenJson(ACCOUNTS[3]!.refreshToken, ACCOUNTS[3]!.email));
    const r = await cli(dir, ["accounts", "import", "agy", "--file", file, "--label", "work"], env);
    expect(r.code).toBe(0);
    expect(r.all).toContain(`work: signed in again: this token now replaces the config file's for "work"`);
    expect((await cli(dir, ["accounts", "verify"], env)).code).toBe(0);
    const served = await serveOne(dir, env);
    expect(served.get(ACCOUNTS[3]!.email)).toBe(1);
    // Still one account: the re-sign is not a second account.
    expect((await cli(dir, ["accounts", "list"], env)).stdout).toMatch(/^1 account\b/m);

    expect((await cli(dir, ["accounts", "remove", "work"], env)).code).toBe(0);
    expect((await cli(dir, ["accounts", "verify"], env)).code).toBe(1);
  });
});

describe("agcp accounts export", () => {
  test("without --include-tokens no token leaves; with it, the file (0600) imports into another install", async () => {
    const from = project();
    const file = join(from, "t.json");
    writeFileSync(file, agyTokenJson(ACCOUNTS[0]!.refreshToken, ACCOUNTS[0]!.email));
    expect((await cli(from, ["accounts", "import", "agy", "--file", file])).code).toBe(0);

    const plainExport = await cli(from, ["accounts", "export"]);
    expect(plainExport.code).toBe(0);
    const doc = JSON.parse(plainExport.stdout);
    expect(doc).toMatchObject({ format: "agcp-accounts", version: 1, includesTokens: false });
    expect(doc.accounts).toEqual([{ label: ACCOUNTS[0]!.email, email: ACCOUNTS[0]!.email, enabled: true, source: "stored" }]);

    const out = join(from, "accounts.json");
    const withTokens = await cli(from, ["accounts", "export", "--include-tokens", "--out", out]);
    expect(withTokens.code).toBe(0);
    expect(withTokens.all).toContain("anyone with it can use these accounts");
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(out, "utf8")).accounts[0].refreshToken).toBe(ACCOUNTS[0]!.refreshToken);

    const to = project();
    const noTokens = join(to, "plain.json");
    writeFileSync(noTokens, plainExport.stdout);
    const refused = await cli(to, ["accounts", "import", "file", "--file", noTokens]);
    expect(refused.code).toBe(1);
    expect(refused.all).toContain("export again with `agcp accounts export --include-tokens`");
    const imported = await cli(to, ["accounts", "import", "file", "--file", out]);
    expect(imported.code).toBe(0);
    expect((await serveOne(to)).get(ACCOUNTS[0]!.email)).toBe(1);
  });
});

describe("the OAuth client", () => {
  test("agcp start warns when the config empties the client; the environment can supply one", async () => {
    const dir = tempDir("agcp-noclient-");
    writeFileSync(join(dir, "agcp.config.ts"), `export default { upstream: { oauth: { clientId: "", clientSecret: "" } } };\n`);
    const empty = await cli(dir, ["start"]);
    // No accounts either, so it stops (exit 2) after the warning.
    expect(empty.code).toBe(2);
    expect(empty.all).toContain("No OAuth client configured");
    const fromEnv = await cli(dir, ["start"], { AGCP_OAUTH_CLIENT_ID: "cid", AGCP_OAUTH_CLIENT_SECRET: "secret" });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.all).not.toContain("No OAuth client configured");
  });
});
