// Issue 12: failover is the same on every door. With 3 of 4 accounts out of quota, 100 requests per
// door (OpenAI chat, responses, images, Gemini API; a share of them streaming) all succeed, on the one
// account left, and the requests metric counts them under each door's `api` label.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/stack.ts";
import { accounts, pooled, within } from "./helpers.ts";

const HOUR = 3_600_000;
const PER_DOOR = 100;
const CONCURRENCY = 8;
const KEY = "test-key";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    accounts: accounts(4, "door"),
    sim: { requestsPerQuota: 1_000_000 },
    config: { apiKey: KEY, pool: { bucket: { max: 100_000, initial: 100_000 } } },
  });
  // One request first: agcp reads every account's quota at start, so the limits below are news to it.
  await stack.client.messages.create({ model: "claude-sonnet-4-6", max_tokens: 16, messages: [{ role: "user", content: "warm up" }] });
  for (const n of [1, 2, 3]) await stack.control(`/accounts/door${n}@agcp.test`, { method: "PATCH", body: { quota: 0, resetInMs: HOUR } });
});
afterAll(() => stack?.close());

interface Door {
  name: string;
  api: string;
  send(i: number): Promise<Response>;
  /** Whether the body is a complete answer of this door's API. */
  complete(body: string, streamed: boolean): boolean;
}

const json = (url: string, body: unknown, headers: Record<string, string>) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

const bearer = { authorization: `Bearer ${KEY}` };
const streams = (i: number) => i % 3 === 0;

const DOORS: Door[] = [
  {
    name: "chat completions",
    api: "openai-chat",
    send: (i) => json(`${stack.url}/v1/chat/completions`, { model: "claude-sonnet-4-6", stream: streams(i), messages: [{ role: "user", content: `question ${i}` }] }, bearer),
    complete: (body, streamed) => (streamed ? body.trimEnd().endsWith("data: [DONE]") : JSON.parse(body).choices[0].message.content.length > 0),
  },
  {
    name: "responses",
    api: "openai-responses",
    send: (i) => json(`${stack.url}/v1/responses`, { model: "gemini-3-flash", stream: streams(i), input: `question ${i}` }, bearer),
    complete: (body, streamed) => (streamed ? body.includes("event: response.completed") : JSON.parse(body).status === "completed"),
  },
  {
    name: "images",
    api: "openai-images",
    send: (i) => json(`${stack.url}/v1/images/generations`, { prompt: `picture ${i}` }, bearer),
    complete: (body) => Buffer.from(JSON.parse(body).data[0].b64_json, "base64").subarray(1, 4).toString() === "PNG",
  },
  {
    name: "Gemini API",
    api: "gemini",
    send: (i) =>
      json(
        `${stack.url}/v1beta/models/gemini-3-flash:${streams(i) ? "streamGenerateContent?alt=sse" : "generateContent"}`,
        { contents: [{ role: "user", parts: [{ text: `question ${i}` }] }] },
        { "x-goog-api-key": KEY },
      ),
    complete: (body, streamed) => (streamed ? body.includes('"finishReason":"STOP"') : JSON.parse(body).candidates[0].finishReason === "STOP"),
  },
];

test(`${PER_DOOR} requests per door with 3 of 4 accounts out of quota: every one succeeds on the account left`, async () => {
  const failures: string[] = [];
  const servedBy = new Set<string>();
  for (const door of DOORS) {
    await within(
      60_000,
      door.name,
      pooled(PER_DOOR, CONCURRENCY, async (i) => {
        const res = await door.send(i);
        const body = await res.text();
        const streamed = door.api !== "openai-images" && streams(i);
        if (res.status !== 200 || !door.complete(body, streamed)) failures.push(`${door.name} #${i}: ${res.status} ${body.slice(0, 200)}`);
        servedBy.add(res.headers.get("x-agcp-account") ?? "?");
      }),
    );
  }
  expect(failures).toEqual([]);
  expect([...servedBy]).toEqual(["door4@agcp.test"]);
  // And failover was exercised: the exhausted accounts were tried, answered 429, and were left alone.
  const sim = (await stack.control("/accounts")) as Array<{ email: string; counters: { rateLimited: Record<string, number> } }>;
  const refusals = sim.filter((a) => a.email !== "door4@agcp.test").reduce((n, a) => n + (a.counters.rateLimited.QUOTA_EXHAUSTED ?? 0), 0);
  expect(refusals).toBeGreaterThan(0);

  const metrics = await (await fetch(`${stack.url}/metrics`, { headers: bearer })).text();
  for (const door of DOORS) {
    const ok = metrics
      .split("\n")
      .filter((l) => l.startsWith("agcp_requests_total{") && l.includes(`api="${door.api}"`) && l.includes('outcome="ok"'))
      .reduce((n, l) => n + Number(l.split(" ").at(-1)), 0);
    expect(ok).toBe(PER_DOOR);
  }
}, 120_000);
