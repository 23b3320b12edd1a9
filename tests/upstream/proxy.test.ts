// Outbound proxies: the routing rules, their configuration, and a real proxy process (tinyproxy)
// on loopback that counts what passes through it while agcp serves real requests.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../src/config/errors.ts";
import { resolveConfig } from "../../src/config/resolve.ts";
import { createSimulator, demoAccounts, type Simulator } from "../../src/sim/index.ts";
import { bypassesProxy, proxyFor, proxyUrlProblem, redactProxyUrl } from "../../src/upstream/proxy.ts";
import { freePort, runCli, spawnCli, tempDir, waitForOk } from "../cli/helpers.ts";
import { agyTokenJson } from "../credentials/fixtures.ts";
import { startTinyproxy, type Tinyproxy } from "../support/tinyproxy.ts";

describe("routing rules", () => {
  const settings = { proxy: "http://global:3128", noProxy: ["localhost", ".corp.example", "10.0.0.1:8443"] };
  test("the account's proxy wins, `direct` opts out, NO_PROXY exempts hosts from the global one only", () => {
    expect(proxyFor("https://daily-cloudcode-pa.googleapis.com/x", "http://mine:8080", settings)).toBe("http://mine:8080");
    expect(proxyFor("https://daily-cloudcode-pa.googleapis.com/x", "direct", settings)).toBe(false);
    expect(proxyFor("https://daily-cloudcode-pa.googleapis.com/x", undefined, settings)).toBe("http://global:3128");
    expect(proxyFor("https://api.corp.example/x", undefined, settings)).toBe(false);
    expect(proxyFor("https://api.corp.example/x", "http://mine:8080", settings)).toBe("http://mine:8080");
    expect(proxyFor("https://x.googleapis.com/", undefined, { proxy: "", noProxy: [] })).toBe(false);
  });

  test("NO_PROXY forms: *, host, .domain, domain suffix, host:port", () => {
    expect(bypassesProxy("https://a.b.corp.example/", ["corp.example"])).toBe(true);
    expect(bypassesProxy("https://notcorp.example/", ["corp.example"])).toBe(false);
    expect(bypassesProxy("https://10.0.0.1:8443/", ["10.0.0.1:8443"])).toBe(true);
    expect(bypassesProxy("https://10.0.0.1/", ["10.0.0.1:8443"])).toBe(false);
    expect(bypassesProxy("http://[::1]:9/", ["::1"])).toBe(true);
    expect(bypassesProxy("https://anything/", ["*"])).toBe(true);
  });

  test("SOCKS is refused with the reason; passwords never reach messages", () => {
    expect(proxyUrlProblem("socks5://127.0.0.1:1080")).toContain("SOCKS proxies are not supported");
    expect(proxyUrlProblem("ftp://x")).toContain("http:// or https://");
    expect(proxyUrlProblem("http://u:p@proxy:3128")).toBeUndefined();
    expect(redactProxyUrl("http://alice:hunter2@proxy:3128")).toBe("http://alice:***@proxy:3128");
  });
});

describe("configuration", () => {
  const resolve = (file: object, env: Record<string, string> = {}) =>
    resolveConfig({ file, env, baseDir: "/", homeDir: "/home/x", skipAccounts: false });

  test("upstream.proxy defaults to HTTPS_PROXY and noProxy to NO_PROXY; the file wins", () => {
    const fromEnv = resolve({}, { HTTPS_PROXY: "http://envproxy:3128", NO_PROXY: "localhost, .internal" });
    expect(fromEnv.upstream.proxy).toBe("http://envproxy:3128");
    expect(fromEnv.upstream.noProxy).toEqual(["localhost", ".internal"]);
    const fromFile = resolve({ upstream: { proxy: "http://fileproxy:1", noProxy: ["A.example"] } }, { HTTPS_PROXY: "http://envproxy:3128" });
    expect(fromFile.upstream.proxy).toBe("http://fileproxy:1");
    expect(fromFile.upstream.noProxy).toEqual(["a.example"]);
    expect(resolve({}).upstream.proxy).toBe("");
  });

  test("a SOCKS proxy is a config error naming where it came from, without its password", () => {
    let error: unknown;
    try {
      resolve({ accounts: [{ refreshToken: "t", proxy: "socks5://bob:pw-secret-1@127.0.0.1:1080" }] }, { HTTPS_PROXY: "socks5h://127.0.0.1:9050" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain("accounts[0].proxy: expected an http:// or https:// proxy URL: SOCKS proxies are not supported");
    expect(message).toContain("HTTPS_PROXY: expected an http:// or https:// proxy URL");
    expect(message).not.toContain("pw-secret-1");
  });
});

describe("a real proxy process on loopback", () => {
  const PASSWORD = "tp-pass-9f3a1c";
  const accounts = demoAccounts(3);
  let sim: Simulator;
  let simUrl: string;
  let proxy: Tinyproxy | undefined;

  beforeAll(async () => {
    sim = createSimulator({ accounts, chunkDelayMs: 0 });
    simUrl = (await sim.listen({ port: 0 })).url;
    proxy = await startTinyproxy("alice", PASSWORD);
    if (!proxy && process.env.CI) throw new Error("tinyproxy is required in CI (apt-get install tinyproxy)");
  });
  afterAll(async () => {
    await proxy?.stop();
    await sim?.close();
  });

  test("accounts[].proxy on one account: the proxy carries all of that account's upstream requests and none of the others'", async () => {
    if (!proxy) return console.warn("tinyproxy not installed: skipped outside CI");
    const dir = tempDir("agcp-proxy-");
    writeFileSync(
      join(dir, "agcp.config.ts"),
      `const sim = ${JSON.stringify(simUrl)};
export default {
  strategy: "round-robin",
  storage: { driver: "memory" },
  upstream: { hosts: [sim], oauth: { tokenUrl: sim + "/token", userinfoUrl: sim + "/oauth2/v1/userinfo", authorizeUrl: sim + "/o/oauth2/v2/auth" } },
  accounts: [
    { label: "a", refreshTokenEnv: "TOKEN_A" },
    { label: "b", refreshTokenEnv: "TOKEN_B" },
    { label: "c", refreshTokenEnv: "TOKEN_C", proxy: ${JSON.stringify(proxy.url)} },
  ],
};
`,
    );
    const env = { TOKEN_A: accounts[0]!.refreshToken, TOKEN_B: accounts[1]!.refreshToken, TOKEN_C: accounts[2]!.refreshToken };
    const port = await freePort();
    const server = spawnCli(["start", "--port", String(port), "--log-level", "debug"], { cwd: dir, env });
    try {
      await waitForOk(`http://127.0.0.1:${port}/health`, 15_000);
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
          body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 32, messages: [{ role: "user", content: `hello ${i}` }] }),
        });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
      // Quota probes and catalog reads of every account happen in the background too.
      await fetch(`http://127.0.0.1:${port}/account-limits?refresh=1`).then((r) => r.arrayBuffer());
    } finally {
      server.proc.kill("SIGTERM");
    }
    const { text } = await server.finish();
    const total = (email: string) => Object.values(sim.state.accounts.get(email)!.counters.requests).reduce((a, b) => a + b, 0);
    const throughProxy = proxy.requests();
    // (demo account 2 is low on Claude quota, so the proxied one is 3, which serves Claude.)
    expect(total(accounts[2]!.email)).toBeGreaterThanOrEqual(4); // token, loadCodeAssist, catalog, generates
    expect(throughProxy.length).toBe(total(accounts[2]!.email));
    expect(throughProxy.every((r) => r.includes(simUrl))).toBe(true);
    expect(throughProxy.some((r) => r.endsWith("/token"))).toBe(true);
    expect(throughProxy.some((r) => /generateContent/i.test(r))).toBe(true);
    expect(total(accounts[0]!.email)).toBeGreaterThan(0);
    expect(total(accounts[1]!.email)).toBeGreaterThan(0);
    expect(sim.state.unattributed).toBe(0);
    expect(text).not.toContain(PASSWORD);
    expect(text).toContain(`Account c: proxy http://alice:***@127.0.0.1:${proxy.port}`);
  }, 60_000);

  test("an account imported with --proxy checks itself through that proxy, and the server keeps using it", async () => {
    if (!proxy) return console.warn("tinyproxy not installed: skipped outside CI");
    const dir = tempDir("agcp-proxy-import-");
    writeFileSync(
      join(dir, "agcp.config.ts"),
      `const sim = ${JSON.stringify(simUrl)};
export default {
  storage: { driver: "fs", dir: "./state" },
  upstream: { hosts: [sim], oauth: { tokenUrl: sim + "/token", userinfoUrl: sim + "/oauth2/v1/userinfo", authorizeUrl: sim + "/o/oauth2/v2/auth" } },
};
`,
    );
    const file = join(dir, "token.json");
    writeFileSync(file, agyTokenJson(accounts[0]!.refreshToken));
    const email = accounts[0]!.email;
    const total = () => Object.values(sim.state.accounts.get(email)!.counters.requests).reduce((a, b) => a + b, 0);
    const [proxiedBefore, simBefore] = [proxy.requests().length, total()];

    const bad = await runCli(["accounts", "import", "agy", "--file", file, "--proxy", "socks5://127.0.0.1:1080"], { cwd: dir, env: { HOME: dir } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--proxy: expected an http:// or https:// proxy URL: SOCKS proxies are not supported");

    const imported = await runCli(["accounts", "import", "agy", "--file", file, "--proxy", proxy.url], { cwd: dir, env: { HOME: dir } });
    expect(imported.code).toBe(0);
    expect(imported.stdout + imported.stderr).not.toContain(PASSWORD);
    const port = await freePort();
    const server = spawnCli(["start", "--port", String(port)], { cwd: dir, env: { HOME: dir } });
    try {
      await waitForOk(`http://127.0.0.1:${port}/health`, 15_000);
      const res = await fetch(`http://127.0.0.1:${port}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
        body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 32, messages: [{ role: "user", content: "via proxy" }] }),
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    } finally {
      server.proc.kill("SIGTERM");
    }
    await server.finish();
    const through = proxy.requests().slice(proxiedBefore);
    // Import: a token refresh and userinfo; the server: token, project, catalog, quota, the generate.
    expect(through.some((r) => r.endsWith("/oauth2/v1/userinfo"))).toBe(true);
    expect(through.some((r) => /generatecontent/i.test(r))).toBe(true);
    expect(through.length).toBe(total() - simBefore);
  }, 60_000);
});
