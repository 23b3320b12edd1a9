// Web search conversion (pure): which requests are searches, the upstream call, and grounding →
// Anthropic blocks, including byte offsets over multi-byte text and the redirect-link fallback.
import { describe, expect, test } from "bun:test";
import type { MessagesRequest } from "../../src/anthropic/types.ts";
import { mixesWebSearch, planWebSearch, readGrounding, toWebSearchEnvelope, toWebSearchMessage, webSearchEvents } from "../../src/anthropic/web-search.ts";
import { accumulateMessage } from "../../src/anthropic/accumulate.ts";
import { resolveGroundingUrls } from "../../src/google/grounding-urls.ts";

const SEARCH = { name: "web_search", type: "web_search_20250305" };
const FUNCTION = { name: "get_time", input_schema: { type: "object" } };

function request(tools: MessagesRequest["tools"], extra: Partial<MessagesRequest> = {}): MessagesRequest {
  return { model: "m", max_tokens: 100, messages: [{ role: "user", content: "Perform a web search for the query: tea" }], tools, ...extra };
}

describe("which requests are searches", () => {
  test("only web search tools, and tools allowed", () => {
    expect(planWebSearch(request([SEARCH]))).toEqual({ prompt: "Perform a web search for the query: tea", maxResults: 5, allowedDomains: [], blockedDomains: [] });
    expect(planWebSearch(request([{ ...SEARCH, type: "web_search_20260209", max_uses: 2, allowed_domains: ["A.example"], blocked_domains: null }]))).toMatchObject({
      maxResults: 2,
      allowedDomains: ["a.example"],
    });
    expect(planWebSearch(request([SEARCH, FUNCTION]))).toBeUndefined();
    expect(mixesWebSearch(request([SEARCH, FUNCTION]))).toBe(true);
    expect(planWebSearch(request([SEARCH], { tool_choice: { type: "none" } }))).toBeUndefined();
    expect(planWebSearch(request([{ name: "web_search", type: "web_fetch_20250910" }]))).toBeUndefined();
  });

  test("the upstream call has googleSearch and nothing of an agent call", () => {
    const plan = planWebSearch(request([{ ...SEARCH, blocked_domains: ["b.example"] }]))!;
    const envelope = toWebSearchEnvelope(plan, "gemini-3.1-flash-lite", "proj");
    expect(envelope).toMatchObject({ model: "gemini-3.1-flash-lite", requestType: "web_search", project: "proj", userAgent: "antigravity" });
    expect(envelope.request.tools).toEqual([{ googleSearch: { enhancedContent: { imageSearch: { maxResultCount: 5 } }, excludeDomains: ["b.example"] } }]);
    expect("requestId" in envelope).toBe(false);
    expect("sessionId" in envelope.request).toBe(false);
  });
});

describe("grounding → Anthropic", () => {
  // "Ümlaut" takes 2 bytes for Ü: the second segment starts at byte 14, character 13.
  const text = "Ümlaut first. Second claim.";
  const response = {
    candidates: [
      {
        content: { parts: [{ text: "Ümlaut " }, { text: "first. Second claim." }] },
        groundingMetadata: {
          webSearchQueries: ["umlaut"],
          groundingChunks: [{ web: { uri: "https://x.test/grounding-api-redirect/a", title: "A" } }, { web: { uri: "https://x.test/grounding-api-redirect/b", title: "B" } }],
          groundingSupports: [
            { segment: { endIndex: 14, text: "Ümlaut first." }, groundingChunkIndices: [0] },
            { segment: { startIndex: 15, endIndex: 28, text: "Second claim." }, groundingChunkIndices: [0, 1] },
          ],
        },
      },
    ],
    usageMetadata: { promptTokenCount: 40, candidatesTokenCount: 9, thoughtsTokenCount: 3 },
  };
  const ctx = { requestedModel: "claude-x", fallbackQuery: "q", maxUses: 5, messageId: "msg_1", toolUseId: "srvtoolu_1" };

  test("byte offsets map to characters; cited blocks carry the resolved URLs", () => {
    const grounded = readGrounding(response);
    expect(grounded.text).toBe(text);
    const message = toWebSearchMessage(grounded, { ...ctx, resolved: new Map([["https://x.test/grounding-api-redirect/a", "https://a.example/page"]]) });
    expect(message.content.slice(2)).toEqual([
      { type: "text", text: "Ümlaut first.", citations: [expect.objectContaining({ url: "https://a.example/page", title: "A", cited_text: "Ümlaut first." })] },
      { type: "text", text: " " },
      {
        type: "text",
        text: "Second claim.",
        citations: [
          expect.objectContaining({ url: "https://a.example/page" }),
          // Not resolved: the redirect link stays.
          expect.objectContaining({ url: "https://x.test/grounding-api-redirect/b" }),
        ],
      },
    ]);
    expect(message.usage).toMatchObject({ input_tokens: 40, output_tokens: 12, server_tool_use: { web_search_requests: 1 } });
  });

  test("the stream events fold back into the same message", () => {
    const message = toWebSearchMessage(readGrounding(response), { ...ctx, resolved: new Map() });
    const events = webSearchEvents(message);
    expect(events.filter((e) => e.type === "content_block_delta").map((e) => (e as { delta: { type: string } }).delta.type)).toContain("citations_delta");
    expect(accumulateMessage(events)).toEqual(message);
  });
});

describe("redirect resolution", () => {
  test("reads Location without following; other answers, errors and silence keep the link", async () => {
    const asked: string[] = [];
    const fake = (async (input: string | URL | Request, init?: RequestInit) => {
      const uri = String(input);
      asked.push(`${init?.method} ${uri} ${init?.redirect} via ${String((init as { proxy?: unknown } | undefined)?.proxy)}`);
      if (uri.endsWith("/ok")) return new Response(null, { status: 302, headers: { location: "https://target.example/x" } });
      if (uri.endsWith("/plain")) return new Response("hi", { status: 200 });
      if (uri.endsWith("/boom")) throw new Error("connection refused");
      // Never answers: only the time bound ends it.
      return new Promise<Response>((_, reject) => init?.signal?.addEventListener("abort", () => reject(new Error("aborted"))));
    }) as typeof fetch;
    const base = "https://vertexaisearch.cloud.google.com/grounding-api-redirect";
    const resolved = await resolveGroundingUrls([`${base}/ok`, `${base}/plain`, `${base}/boom`, `${base}/hang`, "https://elsewhere.example/page"], {
      timeoutMs: 200,
      fetch: fake,
      // Through the account's proxy, like its other upstream calls.
      proxyFor: () => "http://proxy.test:3128",
    });
    expect([...resolved]).toEqual([[`${base}/ok`, "https://target.example/x"]]);
    expect(asked).toContain(`HEAD ${base}/ok manual via http://proxy.test:3128`);
    // A link that is not a grounding redirect is never asked.
    expect(asked.some((a) => a.includes("elsewhere.example"))).toBe(false);
  });
});
