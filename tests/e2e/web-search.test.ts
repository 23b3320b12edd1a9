// Anthropic web search through agcp: the official SDK sends a web_search tool, agcp makes one
// Cloud Code web_search call (googleSearch) through the pool, and answers the way Anthropic does.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import { groundingRedirectCount } from "../../src/sim/web-search.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { fullAccounts, simAccounts } from "./helpers.ts";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ accounts: fullAccounts(2, "ws") });
});
afterAll(() => stack.close());

const QUERY = "Perform a web search for the query: bun test runner snapshots";

function searchTool(extra: Record<string, unknown> = {}) {
  return { type: "web_search_20250305", name: "web_search", ...extra } as unknown as Anthropic.Messages.ToolUnion;
}

/** The last web_search call the sim saw, whichever account served it. */
async function lastSearchCall(): Promise<any> {
  const bodies = (await simAccounts(stack)).map((a) => a.counters.lastGenerateBody).filter((b) => b?.requestType === "web_search");
  expect(bodies.length).toBeGreaterThan(0);
  return bodies.at(-1);
}

function assertAnswer(message: Anthropic.Messages.Message, host: RegExp) {
  const [use, result, ...texts] = message.content as any[];
  expect(use.type).toBe("server_tool_use");
  expect(use.name).toBe("web_search");
  expect(use.id).toStartWith("srvtoolu_");
  expect(use.input).toEqual({ query: "bun test runner snapshots" });
  expect(result.type).toBe("web_search_tool_result");
  expect(result.tool_use_id).toBe(use.id);
  expect(result.content.length).toBeGreaterThanOrEqual(1);
  for (const r of result.content) {
    expect(r.type).toBe("web_search_result");
    // Redirect links are resolved to their targets (which nobody fetched).
    expect(new URL(r.url).hostname).toMatch(host);
    expect(r.title).toContain("Bun test runner snapshots");
  }
  const urls = new Set(result.content.map((r: { url: string }) => r.url));
  const cited = texts.filter((t) => t.citations?.length);
  expect(texts.every((t) => t.type === "text")).toBe(true);
  expect(cited.length).toBeGreaterThanOrEqual(1);
  for (const block of cited) {
    for (const c of block.citations) {
      expect(c.type).toBe("web_search_result_location");
      expect(urls.has(c.url)).toBe(true);
      expect(block.text).toContain(c.cited_text);
    }
  }
  expect(message.stop_reason).toBe("end_turn");
  expect((message.usage as any).server_tool_use).toEqual({ web_search_requests: 1 });
  expect(message.usage.input_tokens).toBeGreaterThan(0);
}

describe("web search tool → Google Search grounding", () => {
  test("non-streaming: server_tool_use, results with resolved URLs, cited text; upstream got one web_search call", async () => {
    const redirectsBefore = groundingRedirectCount(stack.sim.state);
    const message = await stack.client.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 1024,
      messages: [{ role: "user", content: QUERY }],
      tools: [searchTool({ max_uses: 3, allowed_domains: ["docs.example.io"] })],
    });
    assertAnswer(message, /^docs\.example\.io$/);
    expect(groundingRedirectCount(stack.sim.state)).toBeGreaterThan(redirectsBefore);

    const call = await lastSearchCall();
    expect(call.model).toBe("gemini-3.1-flash-lite");
    expect(call.requestId).toBeUndefined();
    expect(call.request.sessionId).toBeUndefined();
    expect(call.request.contents).toEqual([{ role: "user", parts: [{ text: QUERY }] }]);
    expect(call.request.tools).toEqual([{ googleSearch: { enhancedContent: { imageSearch: { maxResultCount: 3 } }, includedDomains: ["docs.example.io"] } }]);
  });

  test("streaming: input_json_delta for the query, citations_delta before the text; the SDK assembles the same answer", async () => {
    const stream = stack.client.messages.stream({
      model: "claude-sonnet-4-5",
      max_tokens: 1024,
      messages: [{ role: "user", content: QUERY }],
      tools: [searchTool({ type: "web_search_20260209", blocked_domains: ["example.com", "example.org"] })],
    });
    const deltas: string[] = [];
    stream.on("streamEvent", (ev) => {
      if (ev.type === "content_block_delta") deltas.push(ev.delta.type);
    });
    const message = await stream.finalMessage();
    assertAnswer(message, /^(?!.*example\.(com|org)$)/);
    expect(deltas).toContain("input_json_delta");
    expect(deltas).toContain("citations_delta");
    expect(deltas.indexOf("citations_delta")).toBeLessThan(deltas.lastIndexOf("text_delta"));
    const call = await lastSearchCall();
    expect(call.request.tools[0].googleSearch.excludeDomains).toEqual(["example.com", "example.org"]);
  });

  test("a search that fails on one account moves to the next (it goes through the pool)", async () => {
    await stack.control("/faults", { body: { serverError: true, failNext: 1 } });
    const res = await stack.client.messages
      .create({ model: "claude-sonnet-4-5", max_tokens: 256, messages: [{ role: "user", content: QUERY }], tools: [searchTool()] })
      .withResponse();
    expect(res.response.headers.get("x-agcp-attempts")).toBe("2");
    expect(res.data.content[1]?.type).toBe("web_search_tool_result");
  });

  test("mixed with function tools: upstream never sees googleSearch next to functionDeclarations", async () => {
    const message = await stack.client.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 256,
      messages: [{ role: "user", content: "Use the get_time tool" }],
      tools: [searchTool(), { name: "get_time", description: "Current time", input_schema: { type: "object", properties: { tz: { type: "string" } }, required: ["tz"] } }],
    });
    expect(message.content.some((b) => b.type === "tool_use" && b.name === "get_time")).toBe(true);
    const bodies = (await simAccounts(stack)).map((a) => a.counters.lastGenerateBody);
    const last = bodies.find((b) => b?.request?.tools?.[0]?.functionDeclarations?.some((d: { name: string }) => d.name === "get_time"));
    expect(last.requestType).toBe("agent");
    expect(last.request.tools.some((t: object) => "googleSearch" in t)).toBe(false);
  });
});

describe("redirect links left as they are", () => {
  let plain: Stack;
  beforeAll(async () => {
    plain = await startStack({ accounts: fullAccounts(1, "wsr"), config: { webSearch: { resolveRedirects: false } } });
  });
  afterAll(() => plain.close());

  test("with resolveRedirects off, results keep upstream's redirect URLs and nothing is asked", async () => {
    const before = groundingRedirectCount(plain.sim.state);
    const message = await plain.client.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 256,
      messages: [{ role: "user", content: QUERY }],
      tools: [searchTool()],
    });
    const result = message.content[1] as any;
    expect(result.content[0].url).toStartWith(`${plain.simUrl}/__sim/grounding-redirect/`);
    expect(groundingRedirectCount(plain.sim.state)).toBe(before);
  });
});

describe("the search model comes from the accounts' catalogs", () => {
  let catalogued: Stack;
  beforeAll(async () => {
    catalogued = await startStack({ accounts: fullAccounts(2, "wsc"), sim: { catalog: { webSearchModelIds: ["gemini-3-flash", "gemini-2.5-flash"] } } });
  });
  afterAll(() => catalogued.close());

  async function searchedWith(model: string): Promise<string> {
    const message = await catalogued.client.messages.create({ model, max_tokens: 256, messages: [{ role: "user", content: QUERY }], tools: [searchTool()] });
    expect(message.content[1]?.type).toBe("web_search_tool_result");
    const bodies = (await simAccounts(catalogued)).map((a) => a.counters.lastGenerateBody).filter((b) => b?.requestType === "web_search");
    return bodies.map((b) => b.model).join(",");
  }

  test("webSearchModelIds decides, not the built-in default; a requested search model is used as is", async () => {
    expect(await searchedWith("claude-sonnet-4-5")).toBe("gemini-3-flash");
    await catalogued.control("/reset", { method: "POST", body: {} });
    expect(await searchedWith("gemini-2.5-flash")).toBe("gemini-2.5-flash");
  });
});

