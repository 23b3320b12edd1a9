/**
 * Importing the sign-ins of the machine agcp runs on through the management API the console uses.
 * The "machine" is a temp home with the files agy, Gemini CLI and the old desktop app leave, and a
 * stand-in for the keyring tool: the real home directory and keyring are never read.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { agyTokenPath, geminiCredsPath, vscdbPaths } from "../../src/credentials/sources.ts";
import { agyTokenJson, unifiedItems, writeVscdb } from "../credentials/fixtures.ts";
import { expectNoSecrets, simSecrets } from "../monitoring/helpers.ts";
import { startStack, type Stack } from "../support/stack.ts";

const KEY = "import-local-admin-key";
const AGY = { email: "agy-user@agcp.test", refreshToken: "sim-refresh-agy-77aa01" };
const KEYRING = { email: "keyring-user@agcp.test", refreshToken: "sim-refresh-keyring-77aa02" };
const REVOKED = { email: "gone@agcp.test", refreshToken: "sim-refresh-gone-77aa03", revoked: true };
const HOME = mkdtempSync(join(tmpdir(), "agcp-machine-"));

let stack: Stack;
/** What the stand-in `secret-tool` prints; undefined: it is not installed. */
let keyringItem: string | undefined;
const ranCommands: string[][] = [];
const logLines: string[] = [];

function place(path: string, text: string) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

beforeAll(async () => {
  place(agyTokenPath(HOME), agyTokenJson(AGY.refreshToken, AGY.email));
  place(geminiCredsPath(HOME), JSON.stringify({ access_token: "ya29.stale", refresh_token: REVOKED.refreshToken, token_type: "Bearer" }));
  place(join(HOME, ".gemini", "google_accounts.json"), JSON.stringify({ active: REVOKED.email }));
  stack = await startStack({
    config: { apiKey: KEY },
    machine: {
      home: HOME,
      platform: "linux",
      env: {},
      run: async (argv) => {
        ranCommands.push(argv);
        return keyringItem === undefined ? undefined : { code: 0, stdout: keyringItem, stderr: "" };
      },
    },
  });
  for (const account of [AGY, KEYRING, REVOKED]) await stack.control("/accounts", { method: "POST", body: account });
  stack.agcp.runtime.log.level = 5;
  stack.agcp.runtime.log.setReporters([{ log: (o) => void logLines.push(o.args.map(String).join(" ")) }]);
});
afterAll(async () => {
  await stack?.close();
  rmSync(HOME, { recursive: true, force: true });
});

async function api(path: string, init: { body?: unknown; key?: string | null } = {}) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (init.key !== null) headers["x-api-key"] = init.key ?? KEY;
  const res = await fetch(`${stack.url}${path}`, {
    method: init.body !== undefined ? "POST" : "GET",
    headers,
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) };
}

const importFrom = (body: unknown) => api("/api/accounts/import-local", { body });
const accountIds = async () => (await api("/api/accounts")).body.accounts.map((a: { id: string }) => a.id) as string[];
const secrets = () => [...simSecrets(stack), AGY.refreshToken, KEYRING.refreshToken, REVOKED.refreshToken];

async function servedBy(label: string): Promise<string | null> {
  for (const id of await accountIds()) await api(`/api/accounts/${encodeURIComponent(id)}/${id === label ? "enable" : "disable"}`, { body: {} });
  const { response } = await stack.client.messages
    .create({ model: "claude-sonnet-4-6", max_tokens: 8, messages: [{ role: "user", content: "hi" }] })
    .withResponse();
  for (const id of await accountIds()) await api(`/api/accounts/${encodeURIComponent(id)}/enable`, { body: {} });
  return response.headers.get("x-agcp-account");
}

describe("the server machine's sign-ins", () => {
  test("the listing names each place and the e-mails found there, never a token", async () => {
    const listing = await api("/api/accounts/import-sources");
    expect(listing.status).toBe(200);
    expect(listing.body.sources.map((s: { source: string }) => s.source)).toEqual(["agy", "keyring", "gemini", "vscdb"]);
    const [agy, keyring, gemini, vscdb] = listing.body.sources;
    expect(agy.found).toEqual([{ origin: agyTokenPath(HOME), email: AGY.email }]);
    expect(keyring.found).toEqual([]);
    expect(keyring.missing).toContain("`secret-tool` is not installed");
    // Gemini CLI names its active account in a file of its own.
    expect(gemini.found).toEqual([{ origin: geminiCredsPath(HOME), email: REVOKED.email }]);
    expect(vscdb.missing).toContain("No state.vscdb");
    expect(ranCommands).toEqual([["secret-tool", "lookup", "service", "gemini", "username", "antigravity"]]);
    expectNoSecrets(listing.text, secrets(), "the listing");
  });

  test("importing one place verifies the sign-in with Google and adds it to the pool, where it serves", async () => {
    const res = await importFrom({ source: "agy" });
    expect(res.status).toBe(200);
    expect(res.body.outcomes).toEqual([{ origin: agyTokenPath(HOME), label: AGY.email, email: AGY.email, ok: true, note: "added" }]);
    expectNoSecrets(res.text, secrets(), "the import answer");
    expect((await api("/api/accounts")).body.sources[AGY.email]).toBe("stored");
    expect(await servedBy(AGY.email)).toBe(AGY.email);

    const again = await importFrom({ source: "agy" });
    expect(again.body.outcomes[0].note).toBe("signed in again");
    const listing = await api("/api/accounts/import-sources");
    expect(listing.body.sources[0].found[0].inPool).toBe(AGY.email);
  });

  test("the keyring item, under a label of the user's choosing", async () => {
    keyringItem = agyTokenJson(KEYRING.refreshToken, KEYRING.email);
    const res = await importFrom({ source: "keyring", label: "from keyring" });
    expect(res.status).toBe(200);
    expect(res.body.outcomes).toMatchObject([{ label: "from keyring", email: KEYRING.email, ok: true }]);
    expect(await servedBy("from keyring")).toBe("from keyring");
  });

  test("refusals are Anthropic-shaped, say why, add nothing and leak no token", async () => {
    const before = await accountIds();
    const cases: Array<[unknown, string]> = [
      // The token Gemini CLI holds was revoked: checked before it could join the pool.
      [{ source: "gemini" }, `Nothing was imported: ${REVOKED.email} from ${geminiCredsPath(HOME)}: the token is revoked or expired`],
      [{ source: "vscdb" }, "source: No state.vscdb of an Antigravity desktop app before 2.0"],
      [{ source: "file" }, 'source: one of "auto", "agy", "keyring", "gemini", "vscdb"'],
      [{ source: "auto", label: "one name" }, "label: names one account, but 3 sign-ins were found"],
      [{ source: "agy", extra: 1 }, "body:"],
      [{}, "source:"],
    ];
    for (const [body, message] of cases) {
      const res = await importFrom(body);
      expect(res.status).toBe(400);
      expect(res.body.type).toBe("error");
      expect(res.body.error.type).toBe("invalid_request_error");
      expect(res.body.error.message).toStartWith(message);
      expectNoSecrets(res.text, secrets(), `the refusal of ${JSON.stringify(body)}`);
    }
    expect(await accountIds()).toEqual(before);
  });

  test("a sign-in of an account in agcp.config.ts is left to the file (and the CLI)", async () => {
    const demo1 = stack.sim.state.accounts.get("demo1@agcp.test")!;
    const [vscdb] = vscdbPaths(HOME, "linux", {});
    mkdirSync(dirname(vscdb!), { recursive: true });
    writeVscdb(vscdb!, unifiedItems(demo1.refreshToken, demo1.email));
    const res = await importFrom({ source: "vscdb" });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('"demo1@agcp.test" is an account of agcp.config.ts; to give it this sign-in, run `agcp accounts import vscdb --label demo1@agcp.test` on the server');
    expect((await api("/api/accounts")).body.sources["demo1@agcp.test"]).toBe("config");
  });

  test("without the admin key nothing is listed or imported, and no log line carries a token", async () => {
    const list = await api("/api/accounts/import-sources", { key: null });
    expect(list.status).toBe(401);
    expect(list.text).not.toContain(AGY.email);
    expect((await api("/api/accounts/import-local", { body: { source: "agy" }, key: "wrong" })).status).toBe(401);
    expect(logLines.some((l) => l.includes("from this machine's sign-ins"))).toBe(true);
    expectNoSecrets(logLines.join("\n"), secrets(), "the log");
  });
});
