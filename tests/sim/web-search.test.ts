// The simulator's Google Search grounding: requestType "web_search" + googleSearch answers with
// grounding metadata whose redirect links point back at the sim.
import { beforeAll, describe, expect, test } from "bun:test";
import { groundingRedirectCount } from "../../src/sim/web-search.ts";
import { ACCOUNT, parseSse, startSim, userText, type Harness } from "./helpers.ts";

let h: Harness;
let token: string;

beforeAll(async () => {
  h = await startSim({ accounts: [ACCOUNT] });
  token = await h.token(ACCOUNT.refreshToken);
});

function searchEnvelope(query: string, googleSearch: Record<string, unknown> = {}) {
  return {
    model: "gemini-3.1-flash-lite",
    requestType: "web_search",
    project: "proj-a",
    userAgent: "antigravity",
    request: {
      contents: [userText(`Perform a web search for the query: ${query}`)],
      systemInstruction: { role: "user", parts: [{ text: "You are a search engine bot. You MUST perform a web search." }] },
      tools: [{ googleSearch: { enhancedContent: { imageSearch: { maxResultCount: 5 } }, ...googleSearch } }],
      generationConfig: { candidateCount: 1 },
    },
  };
}

interface Grounding {
  webSearchQueries: string[];
  groundingChunks: { web: { uri: string; title: string } }[];
  groundingSupports: { segment: { startIndex: number; endIndex: number; text: string }; groundingChunkIndices: number[] }[];
}

async function search(query: string, googleSearch?: Record<string, unknown>) {
  const res = await h.call("generateContent", searchEnvelope(query, googleSearch), token);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { response: { candidates: { content: { parts: { text: string }[] }; groundingMetadata: Grounding }[] } };
  const candidate = body.response.candidates[0]!;
  return { text: candidate.content.parts.map((p) => p.text).join(""), grounding: candidate.groundingMetadata };
}

describe("googleSearch grounding", () => {
  test("answers the query with chunks, supports over the answer's bytes, and redirect links to the sim", async () => {
    const { text, grounding } = await search("bun runtime release notes");
    expect(grounding.webSearchQueries).toEqual(["bun runtime release notes"]);
    expect(grounding.groundingChunks.length).toBeGreaterThanOrEqual(1);
    for (const chunk of grounding.groundingChunks) {
      expect(chunk.web.uri).toStartWith(`${h.url}/__sim/grounding-redirect/`);
      expect(chunk.web.title).toContain("Bun runtime release notes");
    }
    const bytes = Buffer.from(text);
    for (const support of grounding.groundingSupports) {
      expect(bytes.subarray(support.segment.startIndex, support.segment.endIndex).toString()).toBe(support.segment.text);
      expect(support.groundingChunkIndices.every((i) => i < grounding.groundingChunks.length)).toBe(true);
    }
    // Deterministic per query, different across queries.
    expect((await search("bun runtime release notes")).grounding).toEqual(grounding);
    expect((await search("redis streams")).grounding.webSearchQueries).toEqual(["redis streams"]);
  });

  test("a redirect link answers 302 to its target, for HEAD and GET, without anyone fetching the target", async () => {
    const { grounding } = await search("zod schemas", { includedDomains: ["docs.example.io"] });
    const before = groundingRedirectCount(h.sim.state);
    for (const method of ["HEAD", "GET"]) {
      const res = await fetch(grounding.groundingChunks[0]!.web.uri, { method, redirect: "manual" });
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toMatch(/^https:\/\/docs\.example\.io\/zod-schemas\/\d+$/);
    }
    expect(groundingRedirectCount(h.sim.state)).toBe(before + 2);
    expect((await fetch(`${h.url}/__sim/grounding-redirect/not!valid`, { redirect: "manual" })).status).toBe(404);
  });

  test("includedDomains and excludeDomains decide where results come from", async () => {
    const targets = async (googleSearch: Record<string, unknown>) => {
      const { grounding } = await search("deno deploy", googleSearch);
      return Promise.all(
        grounding.groundingChunks.map(async (c) => new URL((await fetch(c.web.uri, { method: "HEAD", redirect: "manual" })).headers.get("location")!).hostname),
      );
    };
    expect(new Set(await targets({ includedDomains: ["deno.example"] }))).toEqual(new Set(["deno.example"]));
    const hosts = await targets({ excludeDomains: ["example.com", "example.org"] });
    expect(hosts.length).toBeGreaterThan(0);
    expect(hosts.some((host) => host.endsWith("example.com") || host.endsWith("example.org"))).toBe(false);
  });

  test("streaming: text in chunks, grounding metadata on the last frame", async () => {
    const res = await h.call("streamGenerateContent", searchEnvelope("sqlite wal mode"), token, "?alt=sse");
    const frames = parseSse(await res.text());
    const last = frames.at(-1)!.response.candidates![0] as { finishReason?: string; groundingMetadata?: Grounding };
    expect(frames.length).toBeGreaterThan(1);
    expect(last.finishReason).toBe("STOP");
    expect(last.groundingMetadata?.webSearchQueries).toEqual(["sqlite wal mode"]);
    expect(frames.slice(0, -1).some((f) => "groundingMetadata" in (f.response.candidates?.[0] ?? {}))).toBe(false);
  });

  test("googleSearch next to function declarations is a 400, as upstream answers it", async () => {
    const body = searchEnvelope("anything");
    body.request.tools.push({ functionDeclarations: [{ name: "get_time", parameters: { type: "OBJECT", properties: { tz: { type: "STRING" } } } }] } as never);
    const res = await h.call("generateContent", body, token);
    expect(res.status).toBe(400);
    const error = ((await res.json()) as { error: { status: string; message: string } }).error;
    expect(error).toMatchObject({ status: "INVALID_ARGUMENT", message: "Tool use with function calling is unsupported" });
  });
});
