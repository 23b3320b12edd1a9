import { describe, expect, test } from "bun:test";
import { ACCOUNT, envelope, parseSse, startSim, userText } from "./helpers.ts";

const BODY = envelope("proj-a", "gemini-3-flash", { contents: [userText("a reasonably long question so there are several chunks")] });

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not reached");
    await Bun.sleep(5);
  }
}

describe("stream faults", () => {
  test("dropAfterChunks sends N chunks then breaks the connection", async () => {
    const h = await startSim({ accounts: [{ ...ACCOUNT, }] });
    const token = await h.token(ACCOUNT.refreshToken);
    await h.control("PATCH", `accounts/${ACCOUNT.email}`, { fault: { dropAfterChunks: 2 } });
    const res = await h.call("streamGenerateContent", BODY, token, "?alt=sse");
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let received = "";
    let failure: unknown = null;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += decoder.decode(value, { stream: true });
      }
    } catch (error) {
      failure = error;
    }
    expect(failure).not.toBeNull();
    expect(parseSse(received)).toHaveLength(2);
    const counters = h.sim.state.accounts.get(ACCOUNT.email)!.counters;
    expect(counters.successfulGenerates).toBe(0);
    expect(counters.clientAborts).toBe(0);
    expect(counters.inflight).toBe(0);
  });

  test("the fault stays until cleared; failNext limits it", async () => {
    const h = await startSim({ accounts: [ACCOUNT] });
    const token = await h.token(ACCOUNT.refreshToken);
    await h.control("PATCH", "faults", { dropAfterChunks: 1, failNext: 1 });
    const broken = await h.call("streamGenerateContent", BODY, token, "?alt=sse");
    await expect(broken.text()).rejects.toBeDefined();
    const fine = await h.call("streamGenerateContent", BODY, token, "?alt=sse");
    expect(parseSse(await fine.text()).length).toBeGreaterThan(2);
  });

  test("emptyStream answers 200 with no chunks", async () => {
    const h = await startSim({ accounts: [ACCOUNT] });
    const token = await h.token(ACCOUNT.refreshToken);
    await h.control("PATCH", `accounts/${ACCOUNT.email}`, { fault: { emptyStream: true } });
    const res = await h.call("streamGenerateContent", BODY, token, "?alt=sse");
    expect(res.status).toBe(200);
    expect(parseSse(await res.text())).toEqual([]);
    const single = await h.call("generateContent", BODY, token);
    expect(single.status).toBe(200);
    const body = (await single.json()) as { response: { candidates: unknown[] } };
    expect(body.response.candidates).toEqual([]);
    expect(h.sim.state.accounts.get(ACCOUNT.email)?.counters.successfulGenerates).toBe(0);
  });

  test("a client that disconnects mid-stream is counted as an abort", async () => {
    const h = await startSim({ accounts: [ACCOUNT], chunkDelayMs: 20 });
    const token = await h.token(ACCOUNT.refreshToken);
    const controller = new AbortController();
    const res = await fetch(`${h.url}/v1internal:streamGenerateContent?alt=sse`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(BODY),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    const account = h.sim.state.accounts.get(ACCOUNT.email)!;
    expect(account.counters.inflight).toBe(1);
    controller.abort();
    await until(() => account.counters.clientAborts === 1);
    expect(account.counters.inflight).toBe(0);
    expect(account.counters.successfulGenerates).toBe(0);
  });

  test("latencyMs delays the first byte; chunkDelayMs paces chunks", async () => {
    const h = await startSim({ accounts: [ACCOUNT], chunkDelayMs: 15 });
    const token = await h.token(ACCOUNT.refreshToken);
    await h.control("PATCH", `accounts/${ACCOUNT.email}`, { fault: { latencyMs: 60, failNext: 1 } });
    const start = performance.now();
    const res = await h.call("streamGenerateContent", BODY, token, "?alt=sse");
    const headersAt = performance.now() - start;
    const frames = parseSse(await res.text());
    const total = performance.now() - start;
    expect(headersAt).toBeGreaterThanOrEqual(55);
    expect(total - headersAt).toBeGreaterThanOrEqual(15 * (frames.length - 1) - 5);
  });

  test("in-process fetch works without listening", async () => {
    const { createSimulator } = await import("../../src/sim/index.ts");
    const sim = createSimulator({ accounts: [ACCOUNT] });
    const tokenRes = await sim.fetch(
      new Request("http://sim.local/token", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: ACCOUNT.refreshToken }),
      }),
    );
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const res = await sim.fetch(
      new Request("http://sim.local/v1internal:streamGenerateContent?alt=sse", {
        method: "POST",
        headers: { authorization: `Bearer ${access_token}` },
        body: JSON.stringify(BODY),
      }),
    );
    expect(parseSse(await res.text()).length).toBeGreaterThan(1);
  });
});
