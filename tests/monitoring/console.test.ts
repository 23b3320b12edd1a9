// The console page driven in a real headless Chromium against a real agcp and simulator.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { haveChromium, launch, until } from "./browser.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { expectNoSecrets, simSecrets } from "./helpers.ts";

const KEY = "console-test-key";

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  if (!haveChromium) return;
  // playwright gives every launch a fresh temporary profile of its own.
  [stack, browser] = await Promise.all([
    startStack({ config: { apiKey: KEY } }),
    launch(),
  ]);
  await fetch(`${stack.url}/account-limits?refresh=1`, { headers: { "x-api-key": KEY } });
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

interface Opened {
  context: BrowserContext;
  page: Page;
  problems: string[];
  urls: string[];
}

async function open(withKey: boolean): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  if (withKey) await context.addInitScript((key) => sessionStorage.setItem("agcp.apiKey", key), KEY);
  const page = await context.newPage();
  const problems: string[] = [];
  const urls: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("request", (r) => urls.push(r.url()));
  await page.goto(stack.url);
  return { context, page, problems, urls };
}

async function limits(): Promise<any> {
  return (await fetch(`${stack.url}/account-limits`, { headers: { "x-api-key": KEY } })).json();
}

describe.skipIf(!haveChromium)("console in headless Chromium", () => {
  test("loads with no console errors and shows every account with its quota bars", async () => {
    const { context, page, problems, urls } = await open(true);
    try {
      await page.waitForSelector("article.card");
      const report = await limits();
      const cards = page.locator("article.card");
      expect(await cards.count()).toBe(3);
      for (const account of report.accounts) {
        const card = page.locator(`article.card[data-account="${account.id}"]`);
        expect(await card.locator("h2").textContent()).toBe(account.label);
        expect(await card.locator(".tier").textContent()).toBe(account.tier);
        expect(await card.locator(".status").textContent()).toBe(account.status);
        expect(await card.locator(".quota-bar").count()).toBe(report.models.length);
      }
      expect(report.models.length).toBeGreaterThan(3);
      // demo2 has 4% left of its weekly Claude window: its bar says so, is drawn as low and counts down to the reset.
      const demo2 = page.locator(`article.card[data-account="demo2@agcp.test"]`);
      const weekly = demo2.locator(`[aria-label="claude weekly window"]`);
      expect(await weekly.getAttribute("aria-valuenow")).toBe("4");
      expect(await weekly.getAttribute("class")).toContain("low");
      expect(await demo2.locator(`[aria-label="claude 5h window"]`).getAttribute("aria-valuenow")).toBe("60");
      expect(await demo2.locator(".windows [data-until]").count()).toBe(1);
      // Free tier (demo3) has no 5-hour windows; the others show both windows of both pools.
      for (const account of report.accounts) {
        const bars = page.locator(`article.card[data-account="${account.id}"] .window-bar`);
        expect(await bars.count()).toBe(account.tier === "free" ? 2 : 4);
      }
      // Every Claude model shows the pool's 5-hour value.
      const opus = demo2.locator(`[aria-label="claude-opus-4-6-thinking quota"]`);
      expect(await opus.getAttribute("aria-valuenow")).toBe("60");
      const summary = await page.locator("#summary").textContent();
      expect(summary).toContain("3 accounts");
      expect(summary).toContain("claude 3 available (1 low)");

      // The key travels in a header only.
      for (const url of urls) expect(url).not.toContain(KEY);
      expectNoSecrets(await page.content(), simSecrets(stack), "console DOM");
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 15_000);

  test("a client key made in the page shows its secret once, serves a request, shows its use, and is revoked from the page", async () => {
    const { context, page, problems } = await open(true);
    try {
      await page.waitForSelector("article.card");
      await page.fill("#new-key-name", "browser-made");
      await page.fill("#new-key-rpm", "30");
      await page.click("#new-key button[type=submit]");
      const shown = await until("the secret", async () => (await page.locator("#new-key-secret").textContent()) || undefined);
      const secret = /agcp-[a-f0-9]{12}-[A-Za-z0-9_-]{43}/.exec(shown)?.[0];
      expect(secret).toBeDefined();
      const res = await fetch(`${stack.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": secret as string, "anthropic-version": "2023-06-01" },
        body: JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }),
      });
      expect(res.status).toBe(200);
      await stack.agcp.runtime.usage.flush();
      const row = page.locator('#keys tr[data-key="browser-made"]');
      await until("the key's use in the table", async () => (await row.locator("td").nth(3).textContent()) === "1");
      await row.locator("button[data-revoke]").click();
      await until("revoked", async () => (await row.locator("td").nth(1).textContent()) === "revoked");
      const after = await fetch(`${stack.url}/v1/models`, { headers: { "x-api-key": secret as string } });
      expect(after.status).toBe(401);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 20_000);

  test("changing the strategy in the page changes what /account-limits reports", async () => {
    const { context, page, problems } = await open(true);
    try {
      await page.waitForSelector("article.card");
      await until("strategy select enabled", async () => page.locator("#strategy").isEnabled());
      await page.selectOption("#strategy", "sticky");
      await until("sticky", async () => (await limits()).strategy === "sticky");
      await page.selectOption("#strategy", "round-robin");
      await until("round-robin", async () => (await limits()).strategy === "round-robin");
      await until("page shows the confirmation", async () => (await page.locator("#message").textContent())?.includes("round-robin"));
      expect(problems).toEqual([]);
    } finally {
      await page.selectOption("#strategy", "hybrid").catch(() => {});
      await until("hybrid", async () => (await limits()).strategy === "hybrid");
      await context.close();
    }
  }, 15_000);

  test("keyboard: Tab reaches the strategy select and an account's Disable button; Enter toggles it", async () => {
    const { context, page } = await open(true);
    try {
      await page.waitForSelector("article.card button[data-action]");
      const focused = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.getAttribute("aria-label") || "");
      const seen: string[] = [];
      for (let i = 0; i < 30 && !seen.includes("Disable demo1@agcp.test"); i++) {
        await page.keyboard.press("Tab");
        seen.push(await focused());
      }
      expect(seen).toContain("strategy");
      expect(seen.at(-1)).toBe("Disable demo1@agcp.test");
      await page.keyboard.press("Enter");
      await until("demo1 disabled", async () => (await limits()).accounts[0].enabled === false);
      // Focus survives the re-render: the same account's button (now Enable) keeps it.
      await until("Enable button focused", async () => (await focused()) === "Enable demo1@agcp.test");
      await page.keyboard.press("Enter");
      await until("demo1 enabled", async () => (await limits()).accounts[0].enabled === true);
    } finally {
      await context.close();
    }
  }, 15_000);

  test("without a key it asks for one, keeps it in sessionStorage, and then shows the accounts", async () => {
    const { context, page, urls } = await open(false);
    try {
      await page.waitForSelector("#auth:not([hidden])");
      expect(await page.locator("article.card").count()).toBe(0);
      // Words for a person, not the raw API error, and no "Loading…" under the prompt.
      expect(await page.locator("#auth-why").textContent()).toContain("needs its admin key");
      expect(await page.locator("#auth-why").textContent()).not.toContain("Authorization: Bearer");
      expect(await page.locator("#accounts").textContent()).toContain("once the key is accepted");
      expect(await page.locator("footer").textContent()).not.toContain("never");
      await page.fill("#api-key", "wrong-key");
      await page.click("#key-form button[type=submit]");
      await until("the wrong key refused", async () => (await page.locator("#auth-why").textContent())?.includes("not accepted"));
      await page.fill("#api-key", KEY);
      await page.click("#key-form button[type=submit]");
      await page.waitForSelector("article.card");
      expect(await page.locator("article.card").count()).toBe(3);
      expect(await page.evaluate(() => sessionStorage.getItem("agcp.apiKey"))).toBe(KEY);
      expect(await page.locator("#auth").isHidden()).toBe(true);
      for (const url of urls) expect(url).not.toContain(KEY);
    } finally {
      await context.close();
    }
  }, 15_000);
});
