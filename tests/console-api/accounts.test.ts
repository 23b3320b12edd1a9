/** Adding, importing, exporting and removing accounts through the management API the console uses. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/stack.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ sim: { requestsPerQuota: 1_000_000 } });
});
afterAll(() => stack.close());

async function api(path: string, init: { method?: string; body?: unknown } = {}) {
  const res = await fetch(`${stack.url}${path}`, {
    method: init.method ?? (init.body !== undefined ? "POST" : "GET"),
    headers: { "content-type": "application/json" },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
  return { status: res.status, body: await res.json().catch(() => null), res };
}

async function onlyThisAccountServes(label: string) {
  for (const a of (await api("/api/accounts")).body.accounts) {
    if (a.id !== label) expect((await api(`/api/accounts/${encodeURIComponent(a.id)}/disable`, { method: "POST" })).status).toBe(200);
  }
  const { response } = await stack.client.messages
    .create({ model: "claude-sonnet-4-6", max_tokens: 8, messages: [{ role: "user", content: "hi" }] })
    .withResponse();
  return response.headers.get("x-agcp-account");
}

describe("Google sign-in from the console", () => {
  test("start → Google (the simulator) → agcp's own callback adds the account, which then serves", async () => {
    const start = await api("/api/accounts/sign-in", { body: { label: "browser-added" } });
    expect(start.status).toBe(200);
    expect(start.body.redirectUri).toMatch(/^http:\/\/localhost:\d+\/oauth-callback$/);
    const consent = await fetch(start.body.url, { redirect: "manual" });
    expect(consent.status).toBe(302);
    const back = consent.headers.get("location")!;
    expect(back.startsWith(start.body.redirectUri)).toBe(true);
    const page = await fetch(back.replace("localhost", "127.0.0.1"));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("browser-added is now in the pool");
    // The same redirect again is refused: a sign-in completes once.
    expect((await fetch(back.replace("localhost", "127.0.0.1"))).status).toBe(400);
    const listed = (await api("/api/accounts")).body.accounts.map((a: { id: string }) => a.id);
    expect(listed).toContain("browser-added");
    expect(await onlyThisAccountServes("browser-added")).toBe("browser-added");
  });

  test("a pasted redirect URL finishes a sign-in whose redirect could not reach agcp", async () => {
    const start = await api("/api/accounts/sign-in", { body: { label: "pasted" } });
    const back = (await fetch(start.body.url, { redirect: "manual" })).headers.get("location")!;
    const done = await api("/api/accounts/sign-in/finish", { body: { pasted: back } });
    expect(done.status).toBe(200);
    expect(done.body.account.label).toBe("pasted");
    const again = await api("/api/accounts/sign-in/finish", { body: { pasted: back } });
    expect(again.status).toBe(400);
    expect(again.body.error.message).toContain("unknown or expired");
  });
});

describe("export, import, remove", () => {
  test("an export with tokens imports back; without tokens it carries none; remove takes a stored account out", async () => {
    const bare = await (await fetch(`${stack.url}/api/accounts/export`)).json();
    expect(bare.includesTokens).toBe(false);
    expect(JSON.stringify(bare)).not.toContain("sim-refresh");
    const full = await (await fetch(`${stack.url}/api/accounts/export?tokens=1`)).json();
    const pasted = full.accounts.find((a: { label: string }) => a.label === "pasted");
    expect(pasted.refreshToken).toBeTruthy();

    expect((await api("/api/accounts/pasted", { method: "DELETE" })).status).toBe(200);
    expect((await api("/api/accounts")).body.accounts.map((a: { id: string }) => a.id)).not.toContain("pasted");
    const imported = await api("/api/accounts/import", { body: { document: { ...full, accounts: [pasted] } } });
    expect(imported.status).toBe(200);
    expect(imported.body.added.map((a: { label: string }) => a.label)).toEqual(["pasted"]);
    expect(await onlyThisAccountServes("pasted")).toBe("pasted");

    const broken = await api("/api/accounts/import", { body: { document: { version: 99 } } });
    expect(broken.status).toBe(400);
    expect(broken.body.error.type).toBe("invalid_request_error");
    expect((await api("/api/accounts/nobody", { method: "DELETE" })).status).toBe(404);
  });
});
