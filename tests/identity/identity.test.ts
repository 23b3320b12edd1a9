// The User-Agent agcp sends, where its version comes from, and how a local install is detected.
import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveConfig } from "../../src/config/resolve.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { loadConfig } from "../../src/config/load.ts";
import { DEFAULT_IDENTITY, userAgentOf, versionInUserAgent, type UpstreamIdentity } from "../../src/upstream/identity.ts";
import { detectInstalledIdentity, productJsonVersion } from "../../src/upstream/identity-detect.ts";
import { parseClientIdentity } from "../../src/sim/index.ts";
import { tempDir } from "../cli/helpers.ts";

const at = (over: Partial<UpstreamIdentity>): UpstreamIdentity => ({ ...DEFAULT_IDENTITY, os: "linux", arch: "amd64", ...over });
const resolve = (file: unknown, env: Record<string, string> = {}) =>
  resolveConfig({ file, fileLabel: "agcp.config.ts", baseDir: "/tmp", env, homeDir: "/nonexistent" });

describe("User-Agent forms (the official families)", () => {
  const cases: Array<[Partial<UpstreamIdentity>, string]> = [
    [{}, "antigravity/cli/1.2.0 (aidev_client; os_type=linux; arch=amd64; cl=978750357; auth_method=consumer)"],
    [{ version: "1.3.0", changelist: "" }, "antigravity/cli/1.3.0 (aidev_client; os_type=linux; arch=amd64; auth_method=consumer)"],
    [{ family: "hub", version: "2.13.0", os: "darwin", arch: "arm64" }, "antigravity/hub/2.13.0 darwin/arm64"],
    [{ family: "ide", version: "2.5.5" }, "antigravity/ide/2.5.5 linux/amd64"],
    [{ family: "legacy", version: "1.15.8" }, "antigravity/1.15.8 linux/amd64"],
    [{ userAgent: "antigravity/acp/0.1.0 (aidev_client; os_type=windows; arch=amd64)" }, "antigravity/acp/0.1.0 (aidev_client; os_type=windows; arch=amd64)"],
  ];
  for (const [over, ua] of cases) {
    test(ua, () => {
      expect(userAgentOf(at(over))).toBe(ua);
      // The simulator's gate reads the same version back out of it.
      const seen = parseClientIdentity(ua);
      expect(seen?.version).toBe(versionInUserAgent(ua));
    });
  }
});

describe("config and env", () => {
  test("the default is agy 1.2.0 as captured, and says so", () => {
    const c = resolve({});
    expect(c.upstream.identity).toMatchObject({ family: "cli", version: "1.2.0", changelist: "978750357" });
    expect(c.identitySource).toContain("built-in default");
  });

  test("upstream.identity.version raises it; another version drops 1.2.0's changelist", () => {
    const c = resolve({ upstream: { identity: { version: "1.3.0" } } });
    expect(userAgentOf({ ...c.upstream.identity, os: "linux", arch: "amd64" })).toBe(
      "antigravity/cli/1.3.0 (aidev_client; os_type=linux; arch=amd64; auth_method=consumer)",
    );
    expect(c.identitySource).toBe("upstream.identity.version in agcp.config.ts");
  });

  test("AGCP_CLIENT_VERSION beats the file; AGCP_USER_AGENT beats both", () => {
    const file = { upstream: { identity: { family: "hub", version: "2.9.1" } } };
    const byEnv = resolve(file, { AGCP_CLIENT_VERSION: "2.13.0" });
    expect(userAgentOf({ ...byEnv.upstream.identity, os: "darwin", arch: "arm64" })).toBe("antigravity/hub/2.13.0 darwin/arm64");
    expect(byEnv.identitySource).toBe("AGCP_CLIENT_VERSION");
    const verbatim = resolve(file, { AGCP_CLIENT_VERSION: "2.13.0", AGCP_USER_AGENT: "antigravity/hub/3.0.0 darwin/arm64" });
    expect(userAgentOf(verbatim.upstream.identity)).toBe("antigravity/hub/3.0.0 darwin/arm64");
    expect(verbatim.identitySource).toBe("AGCP_USER_AGENT");
  });

  test("a version that is not one is a config error naming where it came from", () => {
    expect(() => resolve({}, { AGCP_CLIENT_VERSION: "latest" })).toThrow(ConfigError);
    expect(() => resolve({}, { AGCP_CLIENT_VERSION: "latest" })).toThrow(/AGCP_CLIENT_VERSION/);
    expect(() => resolve({ upstream: { identity: { version: "two" } } })).toThrow(/upstream\.identity\.version/);
    // agy's default version means nothing to the desktop families.
    expect(() => resolve({ upstream: { identity: { family: "hub" } } })).toThrow(/upstream\.identity\.version/);
    // The old knobs are gone, and saying so beats silently sending headers nobody wants.
    expect(() => resolve({ upstream: { identity: { clientVersion: "1.2.0" } } })).toThrow(/clientVersion/);
  });

  test("extra headers are sent only when configured", () => {
    expect(resolve({}).upstream.identity.headers).toEqual({});
    expect(resolve({ upstream: { identity: { headers: { "X-Client-Name": "antigravity" } } } }).upstream.identity.headers).toEqual({
      "X-Client-Name": "antigravity",
    });
  });
});

describe("detecting a local install", () => {
  test("agy on PATH: its --version becomes the cli identity", async () => {
    const dir = tempDir("agcp-agy-");
    const agy = join(dir, "agy");
    writeFileSync(agy, "#!/bin/sh\necho 'agy version 1.3.0 (cl 981234567)'\n");
    chmodSync(agy, 0o755);
    const found = await detectInstalledIdentity({ env: { PATH: dir }, homeDir: dir, productJsonPaths: [] });
    expect(found).toEqual({ family: "cli", version: "1.3.0", source: `agy --version (${agy})` });
  });

  test("the desktop app: product.json's ideVersion (not its VS Code version) becomes the hub identity", async () => {
    const dir = tempDir("agcp-app-");
    const file = join(dir, "resources", "app", "product.json");
    mkdirSync(join(dir, "resources", "app"), { recursive: true });
    writeFileSync(file, JSON.stringify({ version: "1.110.0", ideVersion: "2.11.0", nameShort: "Antigravity" }));
    expect(productJsonVersion(file)).toBe("2.11.0");
    const found = await detectInstalledIdentity({ env: { PATH: join(dir, "empty") }, homeDir: dir, productJsonPaths: [join(dir, "missing.json"), file] });
    expect(found).toEqual({ family: "hub", version: "2.11.0", source: `ideVersion in ${file}` });
    expect(await detectInstalledIdentity({ env: { PATH: "" }, homeDir: dir, productJsonPaths: [join(dir, "missing.json")] })).toBeUndefined();
  });

  test("loadConfig adopts a detected version only when none is configured", async () => {
    const detectIdentity = async () => ({ family: "hub" as const, version: "2.13.0", source: "ideVersion in /Applications/Antigravity.app/…" });
    const dir = tempDir("agcp-detect-");
    const plain = await loadConfig({ cwd: dir, env: {}, homeDir: dir, detectIdentity });
    expect(plain.config.upstream.identity).toMatchObject({ family: "hub", version: "2.13.0", changelist: "" });
    expect(plain.config.identitySource).toBe("ideVersion in /Applications/Antigravity.app/…");
    const pinned = await loadConfig({ cwd: dir, env: { AGCP_CLIENT_VERSION: "1.3.0" }, homeDir: dir, detectIdentity });
    expect(pinned.config.upstream.identity).toMatchObject({ family: "cli", version: "1.3.0" });
    expect(pinned.config.identitySource).toBe("AGCP_CLIENT_VERSION");
  });
});
