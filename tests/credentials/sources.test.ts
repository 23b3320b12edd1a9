// Reading saved sign-ins from every place the Antigravity family keeps them, from real files,
// a real SQLite database and stand-in keyring commands on PATH.
import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultRunner, readAllSources, readSource, type SourceOptions } from "../../src/credentials/sources.ts";
import { CredentialError } from "../../src/credentials/types.ts";
import { tempDir } from "../cli/helpers.ts";
import { agyTokenJson, idToken, jetskiItems, keyringBase64, unifiedItems, writeVscdb } from "./fixtures.ts";

function home(): SourceOptions {
  return { home: tempDir("agcp-home-"), platform: "linux", env: {} };
}

/** A fake command: prints `stdout` and exits `code`, so the real spawn path is exercised. */
function fakeTool(dir: string, name: string, stdout: string, code = 0): void {
  const data = join(dir, `${name}.out`);
  writeFileSync(data, stdout);
  writeFileSync(join(dir, name), `#!/bin/sh\necho "$@" > "${data}.args"\ncat "${data}"\nexit ${code}\n`);
  chmodSync(join(dir, name), 0o755);
}

function runnerWithPath(dir: string) {
  return (argv: string[]) => defaultRunner([join(dir, argv[0]!), ...argv.slice(1)]);
}

describe("agy token file", () => {
  test("default path under ~/.gemini, e-mail and client from the id_token", async () => {
    const opts = home();
    mkdirSync(join(opts.home, ".gemini", "antigravity-cli"), { recursive: true });
    writeFileSync(join(opts.home, ".gemini", "antigravity-cli", "antigravity-oauth-token"), agyTokenJson("1//rt-agy", "me@gmail.com", "cid-1"));
    const [found] = await readSource("agy", opts);
    expect(found).toMatchObject({ refreshToken: "1//rt-agy", email: "me@gmail.com", clientId: "cid-1" });
    expect(found!.origin).toEndWith("antigravity-oauth-token");
  });

  test("a missing file and a token-less file say why", async () => {
    const opts = home();
    await expect(readSource("agy", opts)).rejects.toThrow(/No agy token file at .*antigravity-oauth-token/);
    const file = join(opts.home, "t.json");
    writeFileSync(file, JSON.stringify({ token: { access_token: "ya29.x" } }));
    await expect(readSource("agy", { ...opts, file })).rejects.toThrow(/no refresh token .*agcp accounts add/);
    writeFileSync(file, "not json");
    await expect(readSource("agy", { ...opts, file })).rejects.toBeInstanceOf(CredentialError);
  });
});

test("Gemini CLI oauth_creds.json takes the e-mail from google_accounts.json when there is no id_token", async () => {
  const opts = home();
  mkdirSync(join(opts.home, ".gemini"));
  writeFileSync(join(opts.home, ".gemini", "oauth_creds.json"), JSON.stringify({ access_token: "ya29.a", refresh_token: "1//rt-gem", token_type: "Bearer", expiry_date: 1 }));
  writeFileSync(join(opts.home, ".gemini", "google_accounts.json"), JSON.stringify({ active: "active@gmail.com", old: [] }));
  expect(await readSource("gemini", opts)).toEqual([{ refreshToken: "1//rt-gem", origin: join(opts.home, ".gemini", "oauth_creds.json"), email: "active@gmail.com" }]);
  writeFileSync(join(opts.home, ".gemini", "oauth_creds.json"), JSON.stringify({ refresh_token: "1//rt-gem", id_token: idToken({ email: "own@gmail.com" }) }));
  expect((await readSource("gemini", opts))[0]!.email).toBe("own@gmail.com");
});

describe("keyrings, through the real commands' interfaces", () => {
  test("Linux Secret Service: secret-tool lookup service gemini username antigravity", async () => {
    const bin = tempDir("agcp-bin-");
    fakeTool(bin, "secret-tool", agyTokenJson("1//rt-ss", "ss@gmail.com"));
    const [found] = await readSource("keyring", { ...home(), run: runnerWithPath(bin) });
    expect(found).toMatchObject({ refreshToken: "1//rt-ss", email: "ss@gmail.com" });
    expect(await Bun.file(join(bin, "secret-tool.out.args")).text()).toBe("lookup service gemini username antigravity\n");
  });

  test("macOS keychain: security find-generic-password -s gemini -a antigravity -w, go-keyring-base64 value", async () => {
    const bin = tempDir("agcp-bin-");
    fakeTool(bin, "security", `${keyringBase64(agyTokenJson("1//rt-kc", "kc@gmail.com"))}\n`);
    const [found] = await readSource("keyring", { ...home(), platform: "darwin", run: runnerWithPath(bin) });
    expect(found).toMatchObject({ refreshToken: "1//rt-kc", email: "kc@gmail.com" });
    expect(await Bun.file(join(bin, "security.out.args")).text()).toBe("find-generic-password -s gemini -a antigravity -w\n");
  });

  test("no item, no tool, and Windows each explain themselves", async () => {
    const bin = tempDir("agcp-bin-");
    fakeTool(bin, "secret-tool", "", 1);
    await expect(readSource("secret-service", { ...home(), run: runnerWithPath(bin) })).rejects.toThrow(/No Antigravity sign-in in the Secret Service/);
    await expect(readSource("secret-service", { ...home(), run: async () => undefined })).rejects.toThrow(/not installed.*libsecret-tools/);
    await expect(readSource("keyring", { ...home(), platform: "win32" })).rejects.toThrow(/Windows Credential Manager/);
  });
});

describe("state.vscdb of the desktop app before 2.0", () => {
  test("≥ 1.16.5 unified state: refresh token and e-mail from the base64 protobuf topics", async () => {
    const opts = home();
    const dir = join(opts.home, ".config", "Antigravity IDE", "User", "globalStorage");
    mkdirSync(dir, { recursive: true });
    writeVscdb(join(dir, "state.vscdb"), unifiedItems("1//rt-unified", "ide@gmail.com"));
    const [found] = await readSource("vscdb", opts);
    expect(found).toMatchObject({ refreshToken: "1//rt-unified", email: "ide@gmail.com" });
  });

  test("< 1.16.5 jetski init state, field 6 → 3", async () => {
    const file = join(tempDir(), "state.vscdb");
    writeVscdb(file, jetskiItems("1//rt-jetski"));
    expect((await readSource("vscdb", { ...home(), file }))[0]!.refreshToken).toBe("1//rt-jetski");
  });

  test("the oldest access-token-only layout, a signed-out database and a non-database say so", async () => {
    const file = join(tempDir(), "state.vscdb");
    writeVscdb(file, { antigravityAuthStatus: JSON.stringify({ apiKey: "ya29.only", email: "old@gmail.com" }) });
    await expect(readSource("vscdb", { ...home(), file })).rejects.toThrow(/short-lived access token/);
    const empty = join(tempDir(), "state.vscdb");
    writeVscdb(empty, {});
    await expect(readSource("vscdb", { ...home(), file: empty })).rejects.toThrow(/no Antigravity sign-in/);
    const junk = join(tempDir(), "junk.vscdb");
    writeFileSync(junk, "hello");
    await expect(readSource("vscdb", { ...home(), file: junk })).rejects.toBeInstanceOf(CredentialError);
  });
});

test("auto finds every place once and lists why the others gave nothing", async () => {
  const opts = home();
  mkdirSync(join(opts.home, ".gemini", "antigravity-cli"), { recursive: true });
  // agy's file and Gemini CLI's file hold the same sign-in: imported once.
  writeFileSync(join(opts.home, ".gemini", "antigravity-cli", "antigravity-oauth-token"), agyTokenJson("1//same", "a@gmail.com"));
  writeFileSync(join(opts.home, ".gemini", "oauth_creds.json"), JSON.stringify({ refresh_token: "1//same" }));
  const { found, misses } = await readAllSources({ ...opts, run: async () => undefined });
  expect(found.map((f) => f.refreshToken)).toEqual(["1//same"]);
  expect(misses.map((m) => m.source)).toEqual(["keyring", "vscdb"]);
});
