// The attack from issue 17, in a real headless Chromium: a page on another origin (another port of
// 127.0.0.1) fires the requests a browser sends without asking — a form post, no-cors fetches with
// text/plain and JSON-looking bodies — at a default agcp (no apiKey). None may change anything.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { startStack, type Stack } from "../support/stack.ts";
import { accounts, upstreamGenerates } from "./helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`${CHROMIUM} is missing but CI is set: install the Debian "chromium" package.`);
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

let stack: Stack;
let browser: Browser;
let evil: ReturnType<typeof Bun.serve>;
const ACCOUNT = "attack1@agcp.test";

beforeAll(async () => {
  if (!haveChromium) return;
  [stack, browser] = await Promise.all([startStack({ accounts: accounts(2, "attack") }), chromium.launch({ executablePath: CHROMIUM, args: ARGS })]);
  const target = stack.url;
  const page = `<!doctype html><title>cat pictures</title>
<form id="f" method="POST" action="${target}/api/accounts/${ACCOUNT}/disable" target="sink"></form>
<iframe name="sink"></iframe>
<script>
  const body = JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 16, messages: [{ role: "user", content: "free quota" }] });
  Promise.allSettled([
    fetch("${target}/api/accounts/${ACCOUNT}/disable", { method: "POST", mode: "no-cors" }),
    fetch("${target}/api/strategy", { method: "PUT", mode: "no-cors", body: JSON.stringify({ strategy: "round-robin" }) }),
    ...Array.from({ length: 5 }, () => fetch("${target}/v1/messages", { method: "POST", mode: "no-cors", body })),
    fetch("${target}/v1/messages", { method: "POST", mode: "no-cors", body: new Blob([body]) }),
  ]).then(() => { document.getElementById("f").submit(); setTimeout(() => (document.title = "done"), 300); });
</script>`;
  evil = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(page, { headers: { "content-type": "text/html" } }) });
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  evil?.stop(true);
});

test("a page on another origin, in a real browser, cannot disable an account, switch the strategy or spend quota", async () => {
  if (!haveChromium) return console.warn(`${CHROMIUM} missing: browser attack test not run outside CI`);
  const strategy = (await (await fetch(`${stack.url}/api/accounts`)).json()).strategy;
  const generates = await upstreamGenerates(stack);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const seen: number[] = [];
    page.on("response", (r) => {
      if (r.url().startsWith(stack.url)) seen.push(r.status());
    });
    await page.goto(`http://127.0.0.1:${evil.port}/`);
    await page.waitForFunction(() => document.title === "done", undefined, { timeout: 10_000 });
    // The browser did send them (so the test is real); agcp refused every one.
    expect(seen.length).toBeGreaterThan(0);
  } finally {
    await context.close();
  }
  const after = await (await fetch(`${stack.url}/api/accounts`)).json();
  expect(after.strategy).toBe(strategy);
  expect(after.accounts.find((a: { label: string }) => a.label === ACCOUNT).status).not.toBe("disabled");
  expect(await upstreamGenerates(stack)).toBe(generates);
}, 30_000);
