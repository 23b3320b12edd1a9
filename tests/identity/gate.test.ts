// Upstream's version gate as agcp meets it: the simulator (real HTTP) answers like Google does, and
// `agcp accounts verify` (a real subprocess) must say what is wrong and how to fix it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createSimulator, demoAccounts, NO_LONGER_SUPPORTED, type Simulator } from "../../src/sim/index.ts";
import { runCli, tempDir } from "../cli/helpers.ts";
import { startStack, type Stack } from "../support/stack.ts";

let sim: Simulator;
let simUrl: string;
let dir: string;

beforeAll(async () => {
  sim = createSimulator({ accounts: demoAccounts(1) });
  simUrl = (await sim.listen({ port: 0 })).url;
  dir = tempDir("agcp-gate-");
  writeFileSync(
    join(dir, "agcp.config.ts"),
    `const sim = ${JSON.stringify(simUrl)};
export default {
  storage: { driver: "memory" },
  upstream: { hosts: [sim], oauth: { tokenUrl: sim + "/token", userinfoUrl: sim + "/oauth2/v1/userinfo", authorizeUrl: sim + "/o/oauth2/v2/auth" } },
  accounts: [{ label: "only", refreshTokenEnv: "AGCP_TEST_TOKEN" }],
};
`,
  );
});
afterAll(() => sim?.close());

const gate = (body: unknown) =>
  fetch(`${simUrl}/__sim/version-gate`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

async function verify(env: Record<string, string> = {}) {
  // PATH holds only bun: no agy of this machine may change the identity under test.
  const r = await runCli(["accounts", "verify"], {
    cwd: dir,
    env: { AGCP_TEST_TOKEN: demoAccounts(1)[0]!.refreshToken, PATH: dirname(process.execPath), ...env },
  });
  return { ...r, all: r.stdout + r.stderr };
}

describe("agcp accounts verify and the version gate", () => {
  test("today's gate: the default identity passes and verify says which identity it used", async () => {
    await gate({ desktop: { minimum: "2.0.0", newerModels: "2.9.0" }, cli: { minimum: "1.0.0", newerModels: "1.2.0" } });
    const r = await verify();
    expect(r.code).toBe(0);
    expect(r.all).toMatch(/Client identity: antigravity\/cli\/1\.2\.0 \(aidev_client; os_type=\w+; arch=\w+; cl=978750357; auth_method=consumer\) \(from the built-in default/);
    expect(r.all).toContain("The account works.");
  });

  test("gate raised above agcp's version: verify names the refusal and the fix; a configured newer version passes", async () => {
    await gate({ cli: { minimum: "1.4.0" } });
    const refused = await verify();
    expect(refused.code).toBe(1);
    expect(refused.all).toContain(NO_LONGER_SUPPORTED);
    expect(refused.all).toContain("upstream.identity.version");
    expect(refused.all).toContain("AGCP_CLIENT_VERSION");

    const raised = await verify({ AGCP_CLIENT_VERSION: "1.4.0" });
    expect(raised.code).toBe(0);
    expect(raised.all).toMatch(/Client identity: antigravity\/cli\/1\.4\.0 \(aidev_client; os_type=\w+; arch=\w+; auth_method=consumer\) \(from AGCP_CLIENT_VERSION\)/);
  });

  test("newer-models gate raised: verify reports the 404 for newer models, and the raised version passes", async () => {
    await gate({ cli: { minimum: "1.0.0", newerModels: "1.3.0" } });
    const refused = await verify();
    expect(refused.code).toBe(1);
    expect(refused.all).toContain('404 "Requested entity was not found"');
    expect(refused.all).toContain("AGCP_CLIENT_VERSION");
    expect((await verify({ AGCP_CLIENT_VERSION: "1.3.0" })).code).toBe(0);
    // A hub identity counts in desktop numbers.
    const hub = await verify({ AGCP_USER_AGENT: "antigravity/hub/2.13.0 darwin/arm64" });
    expect(hub.code).toBe(0);
    expect(hub.all).toContain("from AGCP_USER_AGENT");
  });
});

describe("what agcp sends, as the simulator saw it", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ accounts: demoAccounts(1) });
  });
  afterAll(() => stack?.close());

  test("only the official headers: a User-Agent of agy's form, no X-Client-*, no x-goog-api-client, no beta header", async () => {
    const msg = await stack.client.messages.create({
      model: "claude-opus-4-1",
      max_tokens: 64,
      thinking: { type: "enabled", budget_tokens: 1024 },
      messages: [{ role: "user", content: "hello" }],
    });
    expect(msg.type).toBe("message");
    const seen = await stack.control(`/accounts/${encodeURIComponent("demo1@agcp.test")}`);
    const headers = seen.counters.lastRequestHeaders as Record<string, string>;
    expect(headers["user-agent"]).toMatch(/^antigravity\/cli\/1\.2\.0 \(aidev_client; os_type=\w+; arch=\w+; cl=978750357; auth_method=consumer\)$/);
    expect(headers.authorization).toBeUndefined();
    for (const name of ["x-client-name", "x-client-version", "x-goog-api-client", "client-metadata", "x-machine-session-id", "anthropic-beta"]) {
      expect(headers[name]).toBeUndefined();
    }
    expect(seen.counters.lastGenerateBody.model).toBe("claude-opus-5-5-high");
  });

  test("below the gate, a request gets an error naming the fix, not the refusal dressed as the model's answer", async () => {
    await stack.control("/version-gate", { body: { cli: { minimum: "5.0.0" } } });
    try {
      // Streamed, collected from a stream (thinking), and plain JSON (a model without thinking).
      for (const [model, stream] of [["claude-opus-4-1", false], ["claude-opus-4-1", true], ["gemini-3.1-flash-lite", false]] as const) {
        const res = await fetch(`${stack.url}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
          body: JSON.stringify({ model, max_tokens: 64, stream, messages: [{ role: "user", content: "hello" }] }),
        });
        expect(res.status).toBe(400);
        const body = (await res.json()) as { error: { type: string; message: string } };
        expect(body.error.type).toBe("invalid_request_error");
        expect(body.error.message).toContain("no longer supported");
        expect(body.error.message).toContain("AGCP_CLIENT_VERSION");
      }
      // Every account shares the identity: none is blamed for it.
      for (const a of stack.agcp.runtime.pool.accounts()) expect(a.cooldowns).toEqual({});
    } finally {
      await stack.control("/version-gate", { body: { cli: { minimum: "1.0.0" } } });
    }
    expect((await stack.client.messages.create({ model: "claude-opus-4-1", max_tokens: 64, messages: [{ role: "user", content: "again" }] })).type).toBe("message");
  });
});
