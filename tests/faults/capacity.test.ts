// Capacity errors are about one account's model on upstream's side: an account answering them is
// not asked again for that model while another one is usable, and no request ends in
// overloaded_error while a healthy account for its model exists.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/stack.ts";
import { accounts, HEADERS, MODEL, pooled, within } from "./helpers.ts";

let stack: Stack;
let busy: string;

beforeAll(async () => {
  stack = await startStack({
    accounts: accounts(4, "cap"),
    sim: { requestsPerQuota: 1_000_000 },
    config: {
      strategy: "sticky",
      pool: {
        bucket: { max: 100_000, initial: 100_000 },
        // A cooldown shorter than the backoff: waiting out the backoff used to bring the request
        // back to the same account (sticky), again and again, until it gave up with overloaded_error.
        backoff: { capacityMs: 300, capacityJitterMs: 0 },
        capacityRetryDelaysMs: [600, 600],
      },
    },
  });
});
afterAll(() => stack?.close());

beforeEach(async () => {
  await stack.control("/reset", { method: "POST", body: { faults: true } });
  for (const a of stack.agcp.runtime.pool.accounts()) stack.agcp.runtime.pool.resetAccount(a.id);
});

async function generatesOf(email: string): Promise<number> {
  const a = await stack.control(`/accounts/${email}`);
  return (a.counters.requests.generateContent ?? 0) + (a.counters.requests.streamGenerateContent ?? 0);
}

function ask(text: string) {
  return fetch(`${stack.url}/v1/messages`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ model: MODEL, max_tokens: 16, messages: [{ role: "user", content: text }] }),
  }).then(async (r) => ({ status: r.status, account: r.headers.get("x-agcp-account"), body: await r.json() }));
}

describe("one account out of capacity, three healthy", () => {
  test("a conversation on it moves at once and stays moved; the busy account is asked once", async () => {
    // Find the account this conversation sticks to, then take its capacity away.
    const first = await ask("the same conversation");
    expect(first.status).toBe(200);
    busy = first.account!;
    await stack.control(`/accounts/${busy}`, { body: { fault: { capacity: "429" } } });
    const before = await generatesOf(busy);
    for (let i = 0; i < 8; i++) {
      const answer = await within(5_000, "request", ask("the same conversation"));
      expect(answer.status).toBe(200);
      expect(answer.account).not.toBe(busy);
    }
    expect((await generatesOf(busy)) - before).toBe(1);
  });

  test("a burst of 120 requests: none ends in overloaded_error, every one is answered", async () => {
    const [a] = await stack.control("/accounts");
    await stack.control(`/accounts/${a.email}`, { body: { fault: { capacity: "503" } } });
    const answers = await within(30_000, "burst", pooled(120, 30, (i) => ask(`conversation ${i}`)));
    const failed = answers.filter((x) => x.status !== 200);
    expect(failed.map((x) => `${x.status} ${JSON.stringify(x.body).slice(0, 160)}`)).toEqual([]);
  });
});

describe("every account out of capacity", () => {
  test("the request backs off, then ends in overloaded_error (529): then it really is upstream's overload", async () => {
    await stack.control("/faults", { body: { capacity: "429" } });
    const answer = await within(10_000, "request", ask("nobody has capacity"));
    expect(answer.status).toBe(529);
    expect(answer.body.error.type).toBe("overloaded_error");
  });
});
