import { estimateTokens, splitWords, type Generation, type OutPart } from "./generate.ts";
import type { SimContext } from "./http.ts";
import { rpcError } from "./rpc-error.ts";
import { shortHash } from "./state.ts";
import { isRecord, type WireGenerateRequest } from "./wire.ts";

/**
 * Google Search grounding as Cloud Code answers it (`requestType: "web_search"` with a
 * `googleSearch` tool): a short answer plus `groundingMetadata` — the queries, one chunk per
 * result (`web: {uri, title}`), and which answer segments each chunk supports. Like upstream,
 * chunk URIs are redirect links (upstream: vertexaisearch.cloud.google.com/grounding-api-redirect/…);
 * here they point back at the sim, whose redirect route answers 302 with the real target. The
 * targets (example.com and friends) are never fetched by anyone. Deterministic per query.
 */

export const GROUNDING_REDIRECT_PATH = "/__sim/grounding-redirect/";

const DEFAULT_HOSTS = ["example.com", "example.org", "example.net", "example.edu", "docs.example.io"];
const DEFAULT_RESULTS = 3;
/** Claude Code wraps the query in this sentence; upstream searches for what follows. */
const QUERY_PREFIX = /^\s*perform a web search for the query:\s*/i;

export interface GroundingMetadata {
  webSearchQueries: string[];
  groundingChunks: Array<{ web: { uri: string; title: string; domain: string } }>;
  groundingSupports: Array<{ segment: { startIndex: number; endIndex: number; text: string }; groundingChunkIndices: number[] }>;
  searchEntryPoint?: { renderedContent: string };
}

export interface SearchGeneration extends Generation {
  grounding: GroundingMetadata;
}

/** A web search call: the envelope says so, or the request carries a googleSearch tool. */
export function isWebSearch(body: Record<string, unknown>, request: WireGenerateRequest): boolean {
  return body.requestType === "web_search" || searchTool(request) !== undefined;
}

/**
 * Upstream refuses Google Search next to function declarations in one call (generateContent takes
 * one kind of tool; peers see this 400 and never mix them).
 */
export function searchMixProblem(request: WireGenerateRequest): string | null {
  const tools = (request.tools ?? []) as unknown[];
  const search = tools.some((t) => isRecord(t) && t.googleSearch !== undefined);
  const functions = tools.some((t) => isRecord(t) && Array.isArray(t.functionDeclarations) && t.functionDeclarations.length > 0);
  return search && functions ? "Tool use with function calling is unsupported" : null;
}

function searchTool(request: WireGenerateRequest): Record<string, unknown> | undefined {
  for (const tool of (request.tools ?? []) as unknown[]) {
    if (isRecord(tool) && isRecord(tool.googleSearch)) return tool.googleSearch;
  }
  return undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string" && v.trim() !== "").map((v) => v.trim().toLowerCase()) : [];
}

/** `origin` is where this sim was reached, so redirect links lead back to it. */
export function searchGeneration(request: WireGenerateRequest, origin: string): SearchGeneration {
  const tool = searchTool(request) ?? {};
  const query = queryOf(request);
  const included = strings(tool.includedDomains);
  const excluded = strings(tool.excludeDomains);
  const enhanced = isRecord(tool.enhancedContent) && isRecord(tool.enhancedContent.imageSearch) ? tool.enhancedContent.imageSearch : {};
  const max = typeof enhanced.maxResultCount === "number" && enhanced.maxResultCount > 0 ? Math.floor(enhanced.maxResultCount) : DEFAULT_RESULTS;
  const count = Math.min(max, DEFAULT_RESULTS);

  const blocked = (host: string) => excluded.some((d) => host === d || host.endsWith(`.${d}`));
  const hosts = (included.length > 0 ? included : DEFAULT_HOSTS).filter((h) => !blocked(h));
  if (hosts.length === 0) hosts.push(`results-${shortHash(query, 4)}.example`);
  const slug = query.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 48) || "search";
  const rotate = parseInt(shortHash(query, 4), 16);

  const chunks: GroundingMetadata["groundingChunks"] = [];
  for (let i = 0; i < count; i++) {
    const host = hosts[(rotate + i) % hosts.length]!;
    const target = `https://${host}/${slug}/${i + 1}`;
    const title = `${capitalise(query)} — result ${i + 1} (${host})`;
    chunks.push({ web: { uri: `${origin}${GROUNDING_REDIRECT_PATH}${encodeTarget(target)}`, title, domain: host } });
  }

  // The answer: an unsupported lead-in, then one sentence per result, each backed by its chunk.
  let text = `Here is what a web search for "${query}" found. `;
  const supports: GroundingMetadata["groundingSupports"] = [];
  for (const [i, chunk] of chunks.entries()) {
    const sentence = `${chunk.web.domain} has a page about ${query} (result ${i + 1}).`;
    const startIndex = byteLength(text);
    text += sentence;
    supports.push({ segment: { startIndex, endIndex: startIndex + byteLength(sentence), text: sentence }, groundingChunkIndices: [i] });
    if (i < chunks.length - 1) text += " ";
  }

  const parts: OutPart[] = splitWords(text).map((piece) => ({ text: piece }));
  const promptTokens = estimateTokens(JSON.stringify([request.contents, request.systemInstruction ?? null]));
  const candidatesTokens = estimateTokens(text);
  return {
    chunks: parts,
    finishReason: "STOP",
    promptTokens,
    candidatesTokens,
    thoughtsTokens: 0,
    grounding: {
      webSearchQueries: [query],
      groundingChunks: chunks,
      groundingSupports: supports,
      searchEntryPoint: { renderedContent: `<div class="sim-search">${escapeHtml(query)}</div>` },
    },
  };
}

function queryOf(request: WireGenerateRequest): string {
  for (let i = request.contents.length - 1; i >= 0; i--) {
    const content = request.contents[i];
    if (content?.role !== "user") continue;
    const texts = (content.parts ?? []).filter((p) => typeof p.text === "string" && p.thought !== true).map((p) => p.text as string);
    const last = texts.at(-1)?.replace(QUERY_PREFIX, "").trim();
    if (last) return last.replace(/\s+/g, " ").slice(0, 200);
  }
  return "search";
}

const redirects = new WeakMap<object, number>();

/** How many grounding redirect links were followed on this sim (by anyone). */
export function groundingRedirectCount(state: object): number {
  return redirects.get(state) ?? 0;
}

/** GET or HEAD /__sim/grounding-redirect/<id>: 302 to the target, as Google's redirect links do. */
export function handleGroundingRedirect(ctx: SimContext): Response {
  const id = ctx.url.pathname.slice(GROUNDING_REDIRECT_PATH.length);
  const target = decodeTarget(id);
  if (!target || (ctx.req.method !== "GET" && ctx.req.method !== "HEAD")) {
    return rpcError("NOT_FOUND", `The requested URL ${ctx.url.pathname} was not found on this server.`);
  }
  redirects.set(ctx.state, (redirects.get(ctx.state) ?? 0) + 1);
  return new Response(null, { status: 302, headers: { location: target } });
}

/** The id is the target itself (base64url), so links stay valid across sim restarts. */
function encodeTarget(target: string): string {
  return Buffer.from(target, "utf8").toString("base64url");
}

function decodeTarget(id: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(id)) return undefined;
  const target = Buffer.from(id, "base64url").toString("utf8");
  return /^https:\/\/[^\s/]+\//.test(target) ? target : undefined;
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] ?? c);
}
