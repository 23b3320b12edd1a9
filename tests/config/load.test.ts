import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ConfigError } from "../../src/config/errors.ts";
import { loadConfig, type LoadConfigOptions } from "../../src/config/load.ts";
import { DEFAULT_MODEL_MAPPING } from "../../src/google/models.ts";
import { DEFAULT_TUNING } from "../../src/pool/tuning.ts";
import { DEFAULT_UPSTREAM } from "../../src/upstream/options.ts";

const root = mkdtempSync(join(tmpdir(), "agcp-config-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dirCount = 0;
/** A fresh folder per test: Bun caches imported modules by path, so files are never rewritten. */
function project(files: Record<string, string> = {}): string {
  const dir = join(root, `p${++dirCount}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const HOME = "/home/tester";
function load(cwd: string, opts: Partial<LoadConfigOptions> = {}) {
  return loadConfig({ cwd, env: {}, homeDir: HOME, ...opts });
}

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError, but loading succeeded");
}

describe("defaults", () => {
  test("no config file: every value defaulted", async () => {
    const { config, configFile } = await load(project(), { env: { HOME } });
    expect(configFile).toBeUndefined();
    expect(config.port).toBe(8080);
    expect(config.host).toBe("127.0.0.1");
    expect(config.strategy).toBe("reset-aware");
    expect(config.logLevel).toBe("info");
    expect(config.apiKey).toBeUndefined();
    expect(config.bodyLimit).toBe(32 * 1024 * 1024);
    expect(config.accounts).toEqual([]);
    expect(config.quota).toEqual({ floor: 0.05, models: {} });
    expect(config.pool).toEqual(DEFAULT_TUNING);
    expect(config.upstream).toEqual(DEFAULT_UPSTREAM);
    expect(config.models.mapping).toEqual(DEFAULT_MODEL_MAPPING);
    expect(config.models.fallback).toEqual({});
    expect(config.storage).toEqual({ driver: "fs", dir: `${HOME}/.local/state/agcp`, prefix: "agcp", flushIntervalMs: 1000 });
    expect(config.server).toEqual({ shutdownTimeoutMs: 10_000, pingIntervalMs: 10_000 });
  });

  test("state dir follows XDG_STATE_HOME when absolute, ignores it when relative", async () => {
    const dir = project();
    expect((await load(dir, { env: { XDG_STATE_HOME: "/xdg/state" } })).config.storage.dir).toBe("/xdg/state/agcp");
    expect((await load(dir, { env: { XDG_STATE_HOME: "rel", HOME: "/h" } })).config.storage.dir).toBe("/h/.local/state/agcp");
  });

  test("defaults are copies: mutating a resolved config does not touch DEFAULT_TUNING", async () => {
    const { config } = await load(project());
    config.pool.backoff.quotaExhaustedMs.push(1);
    config.pool.health.initial = 1;
    expect(DEFAULT_TUNING.backoff.quotaExhaustedMs).toHaveLength(4);
    expect(DEFAULT_TUNING.health.initial).toBe(70);
  });

  test("the repository's own agcp.config.ts is valid", async () => {
    const repo = resolve(import.meta.dir, "../..");
    const { config, configFile } = await load(repo);
    expect(configFile).toBe(join(repo, "agcp.config.ts"));
    expect(config.accounts).toEqual([]);
  });
});

describe("precedence: flag > env > file > default", () => {
  const file = `export default { port: 1111, strategy: "sticky", host: "10.0.0.1", logLevel: "warn" }`;

  test("file beats defaults", async () => {
    const { config } = await load(project({ "agcp.config.ts": file }));
    expect([config.port, config.strategy, config.host, config.logLevel]).toEqual([1111, "sticky", "10.0.0.1", "warn"]);
  });

  test("env beats file", async () => {
    const env = { AGCP_PORT: "2222", AGCP_STRATEGY: "round-robin", AGCP_HOST: "0.0.0.0", AGCP_LOG_LEVEL: "debug", AGCP_API_KEY: "k-env" };
    const { config } = await load(project({ "agcp.config.ts": file }), { env });
    expect([config.port, config.strategy, config.host, config.logLevel, config.apiKey]).toEqual([
      2222,
      "round-robin",
      "0.0.0.0",
      "debug",
      "k-env",
    ]);
  });

  test("flags beat env", async () => {
    const { config } = await load(project({ "agcp.config.ts": file }), {
      env: { AGCP_PORT: "2222", AGCP_STRATEGY: "round-robin", AGCP_API_KEY: "k-env" },
      flags: { port: "3333", strategy: "hybrid", apiKey: "k-flag" },
    });
    expect([config.port, config.strategy, config.apiKey]).toEqual([3333, "hybrid", "k-flag"]);
  });

  test("an empty env var counts as unset", async () => {
    const { config } = await load(project({ "agcp.config.ts": file }), { env: { AGCP_PORT: "" } });
    expect(config.port).toBe(1111);
  });
});

describe("validation errors", () => {
  test('strategy "fastest" and port "x" → one ConfigError naming both fields and the file', async () => {
    const dir = project({ "agcp.config.ts": `export default { strategy: "fastest", port: "x" }` });
    const error = await configError(load(dir));
    expect(error.file).toBe("agcp.config.ts");
    expect(error.issues.map((i) => i.path).sort()).toEqual(["port", "strategy"]);
    const lines = error.message.split("\n");
    expect(lines).toContain('agcp.config.ts: port: expected an integer between 1 and 65535, found "x"');
    expect(lines).toContain('agcp.config.ts: strategy: expected one of "hybrid", "sticky", "round-robin", "reset-aware", found "fastest"');
  });

  test("nested path and range in the message", async () => {
    const dir = project({
      "agcp.config.ts": `export default { accounts: [
        { refreshToken: "a" }, { refreshToken: "b" }, { refreshToken: "c", quota: { floor: 1.5 } },
      ] }`,
    });
    const error = await configError(load(dir));
    expect(error.message).toBe("agcp.config.ts: accounts[2].quota.floor: expected a number between 0 and 0.99, found 1.5");
  });

  test("unknown keys are caught, with a suggestion for typos", async () => {
    const dir = project({ "agcp.config.ts": `export default { prot: 9000, pool: { bucket: { maxx: 3 } } }` });
    const error = await configError(load(dir));
    const byPath = [...error.issues].sort((a, b) => a.path.localeCompare(b.path));
    expect(byPath).toEqual([
      { path: "pool.bucket.maxx", expected: 'a known key (did you mean "max"?)', found: "an unknown key", origin: "file" },
      { path: "prot", expected: 'a known key (did you mean "port"?)', found: "an unknown key", origin: "file" },
    ]);
  });

  test("AGCP_PORT=x and a bad --port are errors naming the variable and the flag", async () => {
    const error = await configError(load(project(), { env: { AGCP_PORT: "x", AGCP_STRATEGY: "fastest" }, flags: { port: "70000" } }));
    expect(error.message.split("\n").sort()).toEqual([
      '--port: expected an integer between 1 and 65535, found "70000"',
      'AGCP_PORT: expected an integer between 1 and 65535, found "x"',
      'AGCP_STRATEGY: expected one of "hybrid", "sticky", "round-robin", "reset-aware", found "fastest"',
    ]);
  });

  test("redis storage needs a url", async () => {
    const error = await configError(load(project({ "agcp.config.ts": `export default { storage: { driver: "redis" } }` })));
    expect(error.issues.map((i) => i.path)).toEqual(["storage.url"]);
  });

  test("a value under a secret-looking key is never echoed", async () => {
    const dir = project({ "agcp.config.ts": `export default { apiKey: 12345, accounts: [{ refreshToken: "" }] }` });
    const error = await configError(load(dir));
    expect(error.issues.find((i) => i.path === "apiKey")?.found).toBe("12345");
    expect(error.issues.find((i) => i.path === "accounts[0].refreshToken")?.found).toBe("a string (value hidden)");
  });
});

describe("accounts", () => {
  test("refreshTokenEnv is read from env; labels default to email, then account-<n>", async () => {
    const dir = project({
      "agcp.config.ts": `export default { accounts: [
        { email: "a@x.test", refreshTokenEnv: "TOKEN_A" },
        { refreshToken: "literal-b", enabled: false, quota: { floor: 0.2, models: { m: 0.5 } } },
        { label: "work", refreshTokenEnv: "TOKEN_C", projectId: "proj-c" },
      ] }`,
    });
    const { config } = await load(dir, { env: { TOKEN_A: "secret-a", TOKEN_C: "secret-c" } });
    expect(config.accounts).toEqual([
      { label: "a@x.test", email: "a@x.test", refreshToken: "secret-a", enabled: true, quota: { models: {} } },
      { label: "account-2", refreshToken: "literal-b", enabled: false, quota: { floor: 0.2, models: { m: 0.5 } } },
      { label: "work", refreshToken: "secret-c", projectId: "proj-c", enabled: true, quota: { models: {} } },
    ]);
  });

  test("missing token source, unset env var and duplicate labels are reported by path", async () => {
    const dir = project({
      "agcp.config.ts": `export default { accounts: [
        { email: "a@x.test" },
        { email: "b@x.test", refreshTokenEnv: "NOT_SET" },
        { email: "b@x.test", refreshToken: "t" },
      ] }`,
    });
    const error = await configError(load(dir, { env: {} }));
    expect(error.issues.map((i) => i.path)).toEqual(["accounts[0]", "accounts[1].refreshTokenEnv", "accounts[2].label"]);
    expect(error.message).toContain("agcp.config.ts: accounts[1].refreshTokenEnv: expected environment variable NOT_SET");
  });

  test("skipAccounts leaves accounts unresolved (demo mode), other errors still count", async () => {
    const dir = project({ "agcp.config.ts": `export default { accounts: [{ refreshTokenEnv: "UNSET_VAR" }] }` });
    expect((await load(dir, { skipAccounts: true })).config.accounts).toEqual([]);
    await configError(load(dir));
    const bad = project({ "agcp.config.ts": `export default { port: 0, accounts: [{ refreshTokenEnv: "UNSET_VAR" }] }` });
    expect((await configError(load(bad, { skipAccounts: true }))).issues.map((i) => i.path)).toEqual(["port"]);
  });

  test("refreshTokenEnv must be a variable name, and a pasted token is not echoed", async () => {
    const dir = project({ "agcp.config.ts": `export default { accounts: [{ refreshTokenEnv: "1//0gSECRET-TOKEN" }] }` });
    const error = await configError(load(dir));
    expect(error.issues[0]?.path).toBe("accounts[0].refreshTokenEnv");
    expect(error.message).not.toContain("SECRET");
  });
});

describe("deep sections", () => {
  test("pool overrides merge into the defaults; arrays replace instead of concatenating", async () => {
    const dir = project({
      "agcp.config.ts": `export default { pool: { hybrid: { weights: { lru: 1 } }, backoff: { quotaExhaustedMs: [1000] } } }`,
    });
    const { config } = await load(dir);
    expect(config.pool.hybrid.weights).toEqual({ ...DEFAULT_TUNING.hybrid.weights, lru: 1 });
    expect(config.pool.backoff.quotaExhaustedMs).toEqual([1000]);
    expect(config.pool.backoff.rateLimitedMs).toBe(DEFAULT_TUNING.backoff.rateLimitedMs);
  });

  test("quota.floor feeds pool.quota.defaultFloor", async () => {
    const { config } = await load(project({ "agcp.config.ts": `export default { quota: { floor: 0.3, models: { m: 0.1 } } }` }));
    expect(config.quota).toEqual({ floor: 0.3, models: { m: 0.1 } });
    expect(config.pool.quota.defaultFloor).toBe(0.3);
  });

  test("upstream hosts replace the defaults; models merge with user patterns first", async () => {
    const dir = project({
      "agcp.config.ts": `export default {
        upstream: { hosts: ["http://127.0.0.1:1"], oauth: { clientId: "cid" } },
        models: { exact: { mine: "gemini-3-flash" }, patterns: [{ match: "x-*", to: "y" }], fallback: { a: "b" } },
      }`,
    });
    const { config } = await load(dir);
    expect(config.upstream.hosts).toEqual(["http://127.0.0.1:1"]);
    expect(config.upstream.oauth.clientId).toBe("cid");
    expect(config.upstream.oauth.tokenUrl).toBe(DEFAULT_UPSTREAM.oauth.tokenUrl);
    expect(config.models.mapping.exact.mine).toBe("gemini-3-flash");
    expect(config.models.mapping.patterns[0]).toEqual({ match: "x-*", to: "y" });
    expect(config.models.mapping.patterns.slice(1)).toEqual(DEFAULT_MODEL_MAPPING.patterns);
    expect(config.models.fallback).toEqual({ a: "b" });
  });

  test("a relative storage.dir is resolved against the config file's folder", async () => {
    const dir = project({ "agcp.config.ts": `export default { storage: { dir: "state" } }` });
    const { config } = await load(root, { configFile: join(dir, "agcp.config.ts") });
    expect(config.storage.dir).toBe(join(dir, "state"));
  });
});

describe("finding and importing the file", () => {
  test("explicit configFile and AGCP_CONFIG; the flag wins", async () => {
    const dir = project({
      "a.config.ts": `export default { port: 4001 }`,
      "b.config.ts": `export default { port: 4002 }`,
      "agcp.config.ts": `export default { port: 4000 }`,
    });
    expect((await load(dir, { env: { AGCP_CONFIG: "a.config.ts" } })).config.port).toBe(4001);
    expect((await load(dir, { env: { AGCP_CONFIG: "a.config.ts" }, configFile: "b.config.ts" })).config.port).toBe(4002);
    expect((await load(dir)).config.port).toBe(4000);
  });

  test("a missing explicit file is a ConfigError", async () => {
    const error = await configError(load(project(), { configFile: "nope.ts" }));
    expect(error.file).toBe("nope.ts");
    expect(error.message).toBe("nope.ts: expected an existing config file, found no such file");
  });

  test("a syntax error names the file and the position", async () => {
    const error = await configError(load(project({ "agcp.config.ts": `export default { port: 1,, }\n` })));
    expect(error.file).toBe("agcp.config.ts");
    expect(error.message).toStartWith("agcp.config.ts: expected a config file that loads, found a syntax error");
    expect(error.message).toContain("line 1");
  });

  test("an exception thrown by the file names the file and the cause", async () => {
    const error = await configError(load(project({ "agcp.config.ts": `throw new Error("boom from config");\nexport default {};\n` })));
    expect(error.file).toBe("agcp.config.ts");
    expect(error.message).toContain("Error: boom from config");
  });

  test("a missing default export or a non-object export is a ConfigError", async () => {
    const a = await configError(load(project({ "agcp.config.ts": `export const port = 1;\n` })));
    expect(a.message).toContain("no default export");
    const b = await configError(load(project({ "agcp.config.ts": `export default 42;\n` })));
    expect(b.message).toContain("not an object");
  });

  test("a config function is called, and its failure is attributed to the file", async () => {
    expect((await load(project({ "agcp.config.ts": `export default () => ({ port: 4321 })` }))).config.port).toBe(4321);
    const error = await configError(load(project({ "agcp.config.ts": `export default () => { throw new Error("fn failed") }` })));
    expect(error.file).toBe("agcp.config.ts");
    expect(error.message).toContain("fn failed");
  });

  test("a type-only import of the types file is erased at run time", async () => {
    const dir = project({
      "agcp.types.ts": `export interface AgcpConfig { port?: number }`,
      "agcp.config.ts": `import type { AgcpConfig } from "./agcp.types.ts";\nexport default { port: 4444 } satisfies AgcpConfig;\n`,
    });
    expect((await load(dir)).config.port).toBe(4444);
  });
});
