// Floors per quota pool and window in the config file: validated like every other field, and passed on.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../src/config/errors.ts";
import { loadConfig } from "../../src/config/load.ts";

const root = mkdtempSync(join(tmpdir(), "agcp-config-pools-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function project(config: string): string {
  const dir = join(root, `p${++n}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "agcp.config.ts"), config);
  return dir;
}

test("quota.pools floors, globally and per account, reach the resolved config", async () => {
  const { config } = await loadConfig({
    cwd: project(`export default {
      quota: { pools: { claude: { weekly: 0.1 } } },
      accounts: [{ refreshToken: "t", quota: { pools: { gemini: { "5h": 0.2, weekly: 0.3 } } } }],
    }`),
    env: {},
    homeDir: "/home/tester",
  });
  expect(config.quota.pools).toEqual({ claude: { weekly: 0.1 } });
  expect(config.accounts[0]!.quota.pools).toEqual({ gemini: { "5h": 0.2, weekly: 0.3 } });
});

test("an unknown pool or window, or a floor out of range, names the field", async () => {
  for (const [body, field] of [
    [`{ quota: { pools: { gpt: { weekly: 0.1 } } } }`, "quota.pools"],
    [`{ quota: { pools: { claude: { daily: 0.1 } } } }`, "quota.pools.claude"],
    [`{ quota: { pools: { claude: { weekly: 1.5 } } } }`, "quota.pools.claude.weekly"],
  ] as const) {
    let error: unknown;
    try {
      await loadConfig({ cwd: project(`export default ${body}`), env: {}, homeDir: "/home/tester" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`agcp.config.ts: ${field}`);
  }
});
