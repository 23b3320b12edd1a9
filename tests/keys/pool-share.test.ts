/** --pool-share: a key may spend at most that fraction of a pool's current window. */
import { expect, test } from "bun:test";
import { startStack } from "../support/stack.ts";
import { ADMIN, ask, clientFor, createKey } from "./helpers.ts";

test("a key with a 10 % share of a half-spent Claude window is refused once its requests are most of the window's", async () => {
  const accounts = [1, 2].map((i) => ({ email: `share${i}@agcp.test`, refreshToken: `sim-refresh-share${i}`, tier: "pro" as const }));
  const stack = await startStack({ accounts, config: { apiKey: ADMIN }, sim: { requestsPerQuota: 100_000 } });
  try {
    for (const a of accounts) await stack.control(`/accounts/${encodeURIComponent(a.email)}`, { body: { buckets: { "3p-5h": { remainingFraction: 0.5, resetInMs: 3_600_000 } } } });
    await fetch(`${stack.url}/api/quota/refresh`, { method: "POST", headers: { "x-api-key": ADMIN, "content-type": "application/json" } });
    const secret = await createKey(stack, "small-share", { poolShare: 0.1 });
    const client = clientFor(stack, secret);
    // Nothing counted yet in this window: the first request goes through.
    expect(await ask(client)).toEqual({ ok: true });
    const second = await ask(client);
    expect(second.ok ? 200 : second.status).toBe(429);
    if (!second.ok) {
      expect(second.message).toContain("claude pool's 5h window");
      expect(second.message).toContain("share is 10%");
    }
    // Gemini is another pool: not limited by the Claude share.
    expect(await ask(client, "gemini-3-flash")).toEqual({ ok: true });
  } finally {
    await stack.close();
  }
});
