/** `agcp keys` as a user types it, on an fs state folder. */
import { expect, test } from "bun:test";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir } from "../cli/helpers.ts";

test("add prints the secret once; list shows limits and status; revoke marks it; the folder holds only a hash", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "agcp.config.json"), JSON.stringify({ storage: { driver: "fs", dir: "./state" } }));
  const added = await runCli(["keys", "add", "ana", "--rpm", "5", "--requests-per-day", "claude=300", "--expires", "7d"], { cwd: dir });
  expect(added.code).toBe(0);
  const secret = /agcp-[a-f0-9]{12}-[A-Za-z0-9_-]{43}/.exec(added.stdout)?.[0];
  expect(secret).toBeDefined();

  const listed = await runCli(["keys", "list"], { cwd: dir });
  expect(listed.code).toBe(0);
  expect(listed.stdout).toContain("ana  [active, expires");
  expect(listed.stdout).toContain("5/min; claude 300 req/day");
  expect(listed.stdout).not.toContain(secret!.slice(18));

  expect((await runCli(["keys", "add", "ana"], { cwd: dir })).code).toBe(2);
  expect((await runCli(["keys", "add", "bad name!"], { cwd: dir })).code).toBe(2);
  expect((await runCli(["keys", "add", "x", "--requests-per-day", "opus=3"], { cwd: dir })).code).toBe(2);

  expect((await runCli(["keys", "revoke", "ana"], { cwd: dir })).code).toBe(0);
  const json = JSON.parse((await runCli(["keys", "list", "--json"], { cwd: dir })).stdout);
  expect(json.keys[0]).toMatchObject({ name: "ana", status: "revoked", limits: { rpm: 5, requestsPerDay: { claude: 300 } } });
  expect(JSON.stringify(json)).not.toContain("hash");

  const files = readdirSync(join(dir, "state"), { recursive: true }).map(String);
  const stored = files.map((f) => { try { return readFileSync(join(dir, "state", f), "utf8"); } catch { return ""; } }).join("");
  expect(stored).toContain('"hash"');
  expect(stored).not.toContain(secret!.slice(18));
}, 30_000);
