// The console's accounts, request-log and usage views in a real headless Chromium, against a real
// agcp on the simulator; also refreshes the screenshots in docs/ that the README shows.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { agyTokenPath } from "../../src/credentials/sources.ts";
import { agyTokenJson } from "../credentials/fixtures.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { haveChromium, launch, until } from "./browser.ts";
import { expectNoSecrets } from "./helpers.ts";

const KEY = "console-views-key";
// Screenshots go to docs/ only when asked (AGCP_SCREENSHOTS=1 npm test), so a test run leaves the tree clean.
const DOCS = process.env.AGCP_SCREENSHOTS ? join(import.meta.dir, "../../docs") : mkdtempSync(join(tmpdir(), "agcp-shots-"));

// A sign-in agy left on the machine agcp runs on (a temp home: the tests never read the real one).
const LOCAL = { email: "local@agcp.test", refreshToken: "sim-refresh-local-5f2a9c01" };
const HOME = mkdtempSync(join(tmpdir(), "agcp-home-"));
// An account added at run time, for the Edit dialog.
const SPARE = { email: "spare@agcp.test", refreshToken: "sim-refresh-spare-4b7e1d02" };

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  if (!haveChromium) return;
  mkdirSync(join(agyTokenPath(HOME), ".."), { recursive: true });
  writeFileSync(agyTokenPath(HOME), agyTokenJson(LOCAL.refreshToken, LOCAL.email));
  // No keyring tool on this "machine": that source says so instead of reading the real keyring.
  const machine = { home: HOME, platform: "linux" as const, env: {}, run: async () => undefined };
  [stack, browser] = await Promise.all([startStack({ config: { apiKey: KEY }, sim: { requestsPerQuota: 1_000_000 }, machine }), launch()]);
  for (const account of [LOCAL, SPARE]) await stack.control("/accounts", { method: "POST", body: account });
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const admin = (path: string, init: RequestInit = {}) =>
  fetch(`${stack.url}${path}`, { ...init, headers: { "x-api-key": KEY, "content-type": "application/json", ...init.headers } });

async function page(width = 1280): Promise<{ page: Page; problems: string[]; close(): Promise<void> }> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  await context.addInitScript((key) => sessionStorage.setItem("agcp.apiKey", key), KEY);
  const p = await context.newPage();
  const problems: string[] = [];
  p.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  p.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  await p.goto(stack.url);
  await p.waitForSelector("article.card");
  return { page: p, problems, close: () => context.close() };
}

describe.skipIf(!haveChromium)("console views in headless Chromium", () => {
  test("sign in a new account from the console; it serves the next request, which shows in the log with its account, attempts and trace within 2 s", async () => {
    const { page: p, problems, close } = await page();
    try {
      const popup = p.context().waitForEvent("page");
      await p.click("#sign-in");
      const signIn = await popup;
      await signIn.waitForLoadState();
      await until("the callback page", async () => (await signIn.textContent("h1").catch(() => null)) === "Signed in");
      const label = /^(.*) is now in the pool/.exec((await signIn.textContent("p")) ?? "")?.[1];
      expect(label).toBeTruthy();
      await until("the new card", async () => (await p.locator(`article.card[data-account="${label}"]`).count()) === 1);

      // Only the new account is left enabled: the next request can only be served by it.
      for (const a of (await (await admin("/api/accounts")).json()).accounts) {
        if (a.id !== label) expect((await admin(`/api/accounts/${encodeURIComponent(a.id)}/disable`, { method: "POST" })).status).toBe(200);
      }
      await p.click("#tab-requests");
      const sent = Date.now();
      const { response } = await stack.client.messages
        .create({ model: "claude-sonnet-4-6", max_tokens: 8, messages: [{ role: "user", content: "hello from the console test" }] })
        .withResponse();
      expect(response.headers.get("x-agcp-account")).toBe(label!);
      const row = p.locator(`#log-rows tr[data-request]`).first();
      await until("the request in the log", async () => (await row.locator("td.account").textContent()) === label, 2_000);
      expect(Date.now() - sent).toBeLessThan(2_500);
      expect(await row.locator("td").nth(4).textContent()).toBe("1");
      await row.click();
      const trace = await p.locator("#log-rows tr.detail ul.trace").textContent();
      expect(trace).toContain(`chose ${label}`);
      expect(await p.locator("#log-rows tr.detail ul.attempts").textContent()).toContain(`${label} on `);
      await p.screenshot({ path: join(DOCS, "console-requests.png") });

      for (const a of (await (await admin("/api/accounts")).json()).accounts) await admin(`/api/accounts/${encodeURIComponent(a.id)}/enable`, { method: "POST" });
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  }, 30_000);

  test("after 50 requests the usage chart for the last hour shows 50 more", async () => {
    const { page: p, problems, close } = await page();
    try {
      const before = (await (await admin("/api/usage?range=24h")).json()).buckets.at(-1).requests;
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => stack.client.messages.create({ model: "claude-haiku-4-5", max_tokens: 8, messages: [{ role: "user", content: `u${i}` }] })),
      );
      await p.click("#tab-usage");
      const lastBar = p.locator("#usage-chart rect.bar-req").last();
      await until("the chart", async () => (await lastBar.count()) > 0 && Number(await lastBar.getAttribute("data-requests")) === before + 50);
      expect(await p.locator("#usage-chart rect.bar-req").count()).toBe(24);
      expect(await p.locator("#usage-total").textContent()).toContain(`${before + 50} requests`);
      expect(await p.locator("#usage-table tbody tr").count()).toBeGreaterThan(0);
      await p.screenshot({ path: join(DOCS, "console-usage.png") });
      await p.click('[data-range="7d"]');
      await until("7 daily bars", async () => (await p.locator("#usage-chart rect.bar-req").count()) === 7);
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  }, 30_000);

  test("a floor changed in the Settings view changes where requests go", async () => {
    const { page: p, problems, close } = await page();
    try {
      const low = "demo1@agcp.test";
      await stack.control(`/accounts/${encodeURIComponent(low)}`, { body: { buckets: { "3p-5h": { remainingFraction: 0.3, resetInMs: 3_600_000 } } } });
      await admin("/api/quota/refresh", { method: "POST" });
      await p.click("#tab-settings");
      await until("the settings", async () => (await p.locator("#s-log-level").inputValue()) !== "");
      await p.fill("#s-claude-5h", "50");
      await p.click("#settings-form button[type=submit]");
      await until("saved", async () => (await p.locator("#message").textContent())?.includes("Settings saved"));
      await until("the source shown", async () => (await p.locator('[data-src="poolFloors"]').first().textContent()) === "set here");
      // Only what changed is sent: the rest keeps its source.
      expect(await p.locator('[data-src="logLevel"]').textContent()).toBe("default");
      await p.screenshot({ path: join(DOCS, "console-settings.png") });
      const served = new Set<string>();
      for (let i = 0; i < 10; i++) {
        const { response } = await stack.client.messages
          .create({ model: "claude-sonnet-4-6", max_tokens: 8, messages: [{ role: "user", content: `f${i}` }] })
          .withResponse();
        served.add(response.headers.get("x-agcp-account") ?? "?");
      }
      expect(served.has(low)).toBe(false);
      // Back to no pool floor for the other tests.
      await admin("/api/settings", { method: "PUT", body: JSON.stringify({ poolFloors: {} }) });
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  }, 30_000);

  test("import the server machine's own sign-in from the page, with the keyboard", async () => {
    const { page: p, problems, close } = await page();
    try {
      await p.focus("#local-open");
      await p.keyboard.press("Enter");
      const agy = p.locator('#local-sources li[data-source="agy"]');
      await until("the sources", async () => ((await agy.textContent()) ?? "").includes(LOCAL.email));
      expect(await p.locator('#local-sources li[data-source="keyring"]').textContent()).toContain("nothing — secret-tool is not installed");
      expect(await p.locator('#local-sources li[data-source="gemini"] button').count()).toBe(0);
      expectNoSecrets(await p.locator("#local-import").innerHTML(), [LOCAL.refreshToken], "the import panel");
      await p.screenshot({ path: join(DOCS, "console-import.png") });

      await agy.locator("button[data-import]").focus();
      await p.keyboard.press("Enter");
      await until("the import", async () => (await p.locator("#message").textContent())?.includes(`Imported ${LOCAL.email} (added)`));
      await until("the new card", async () => (await p.locator(`article.card[data-account="${LOCAL.email}"]`).count()) === 1);
      await until("the listing to say so", async () => ((await agy.textContent()) ?? "").includes(`already in the pool as ${LOCAL.email}`));
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  }, 30_000);

  test("rename an account and set its own floor in the Edit dialog: a floor above its quota sends the next requests elsewhere", async () => {
    await stack.agcp.runtime.state.accounts.add({ label: SPARE.email, email: SPARE.email, refreshToken: SPARE.refreshToken });
    const { page: p, problems, close } = await page();
    const ids: string[] = (await (await admin("/api/accounts")).json()).accounts.map((a: { id: string }) => a.id);
    const others = ids.filter((id) => id !== SPARE.email && id !== "demo1@agcp.test");
    const strategy = stack.agcp.runtime.pool.strategy;
    try {
      // The spare has 30 % of its Claude 5-hour window left; demo1 is the only other account serving.
      await stack.control(`/accounts/${encodeURIComponent(SPARE.email)}`, { body: { buckets: { "3p-5h": { remainingFraction: 0.3, resetInMs: 3_600_000 } } } });
      await admin("/api/quota/refresh", { method: "POST" });
      for (const id of others) await admin(`/api/accounts/${encodeURIComponent(id)}/disable`, { method: "POST" });
      await admin("/api/strategy", { method: "PUT", body: JSON.stringify({ strategy: "round-robin" }) });
      const ask = async (i: number) => {
        const { response } = await stack.client.messages
          .create({ model: "claude-sonnet-4-6", max_tokens: 8, messages: [{ role: "user", content: `floor ${i}` }] })
          .withResponse();
        return response.headers.get("x-agcp-account");
      };

      const card = p.locator(`article.card[data-account="${SPARE.email}"]`);
      await until("the card", async () => (await card.count()) === 1);
      // The paste form waits for a sign-in to be started.
      expect(await p.locator("#paste-form").isVisible()).toBe(false);
      await card.locator('button[data-action="edit"]').focus();
      await p.keyboard.press("Enter");
      await until("the dialog", async () => p.locator("#edit-dialog").isVisible());
      expect(await p.evaluate(() => document.activeElement?.id)).toBe("edit-label");
      await p.fill("#edit-label", "night shift");
      await p.fill("#edit-claude-5h", "50");
      await p.screenshot({ path: join(DOCS, "console-edit.png") });
      await p.press("#edit-claude-5h", "Enter");
      await until("the renamed card", async () => (await p.locator('article.card[data-account="night shift"]').count()) === 1);
      expect(await card.count()).toBe(0);
      expect(await p.locator('article.card[data-account="night shift"] [data-floors]').textContent()).toBe("Own floors: claude 5h 50%");
      expect(await p.locator("#edit-dialog").isVisible()).toBe(false);
      // Focus comes back to where it was: the (renamed) account's Edit button.
      expect(await p.evaluate(() => document.activeElement?.getAttribute("data-focus"))).toBe("night shift:edit");

      const served = [];
      for (let i = 0; i < 4; i++) served.push(await ask(i));
      expect(served).toEqual(Array(4).fill("demo1@agcp.test"));
      await p.click("#tab-requests");
      const row = p.locator("#log-rows tr[data-request]").first();
      await until("the request in the log", async () => (await row.locator("td.account").textContent()) === "demo1@agcp.test");
      await row.click();
      const trace = (await p.locator("#log-rows tr.detail ul.trace").textContent()) ?? "";
      expect(trace).toContain("skipped night shift: claude 5h window 30.0% at or below floor 50.0%");

      // Without its own floor it takes its turn again.
      await p.click("#tab-accounts");
      await p.locator('article.card[data-account="night shift"] button[data-action="edit"]').click();
      await p.fill("#edit-claude-5h", "");
      await p.click("#edit-save");
      await until("the floors gone", async () => (await p.locator('article.card[data-account="night shift"] [data-floors]').count()) === 0);
      const after = new Set<string | null>();
      for (let i = 0; i < 4; i++) after.add(await ask(10 + i));
      expect(after).toEqual(new Set(["night shift", "demo1@agcp.test"]));

      // A refusal shows in the dialog and changes nothing.
      await p.locator('article.card[data-account="night shift"] button[data-action="edit"]').click();
      await p.fill("#edit-label", "demo1@agcp.test");
      await p.click("#edit-save");
      await until("the refusal", async () => ((await p.locator("#edit-error").textContent()) ?? "").includes("agcp.config.ts"));
      await p.keyboard.press("Escape");
      expect(await p.locator("#edit-dialog").isVisible()).toBe(false);
      expect(await p.locator('article.card[data-account="night shift"]').count()).toBe(1);
      // The browser's own note of the refused request is the only one.
      expect(problems).toEqual(["Failed to load resource: the server responded with a status of 409 (Conflict)"]);
    } finally {
      for (const id of others) await admin(`/api/accounts/${encodeURIComponent(id)}/enable`, { method: "POST" });
      await admin("/api/strategy", { method: "PUT", body: JSON.stringify({ strategy }) });
      await close();
    }
  }, 30_000);

  test("the accounts view at 420 px and in dark mode, and the header says version, identity and state", async () => {
    const { page: p, problems, close } = await page(420);
    try {
      const about = await p.locator("#about").textContent();
      expect(about).toContain("version");
      expect(about).toContain("state memory");
      expect(about).toMatch(/as antigravity\//);
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(1);
      await p.screenshot({ path: join(DOCS, "console-narrow.png"), fullPage: false });
      // The Edit dialog fits too.
      await p.locator('article.card[data-account="night shift"] button[data-action="edit"]').click();
      const box = (await p.locator("#edit-dialog").boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(420);
      await p.keyboard.press("Escape");
      // The screenshots show the page from its top, as a visitor first sees it.
      await p.evaluate(() => {
        (document.activeElement as HTMLElement | null)?.blur();
        window.scrollTo(0, 0);
      });
      await p.emulateMedia({ colorScheme: "dark" });
      await p.setViewportSize({ width: 1280, height: 900 });
      await p.screenshot({ path: join(DOCS, "console-accounts-dark.png") });
      await p.emulateMedia({ colorScheme: "light" });
      await p.screenshot({ path: join(DOCS, "console.png") });
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  }, 30_000);
});
