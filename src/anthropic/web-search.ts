/**
 * Anthropic's web search tool (`web_search_20250305`, `web_search_20260209`) answered by Google
 * Search grounding. Pure: the request side builds the Cloud Code `web_search` call; the answer
 * side turns grounding metadata into what Anthropic returns — `server_tool_use`, then
 * `web_search_tool_result` with one `web_search_result` per source, then text blocks whose cited
 * passages carry `web_search_result_location` citations — as a message or as stream events.
 */
import type { CloudCodeEnvelope, CloudCodeResponse, GoogleGroundingMetadata, GoogleSearchTool } from "../google/types.ts";
import type {
  AnthropicMessage,
  AnthropicStreamEvent,
  MessagesRequest,
  ResponseContentBlock,
  TextBlock,
  Tool,
  Usage,
  WebSearchCitation,
  WebSearchResult,
} from "./types.ts";

/** Versioned type names of Anthropic's web search tool, past and future (`web_search_YYYYMMDD`). */
const WEB_SEARCH_TYPE = /^web_search_\d{8}$/;
/** Upstream's default when the client sets no `max_uses` [CPA web_search.go]. */
const DEFAULT_MAX_RESULTS = 5;
/** Anthropic caps cited_text at 150 characters. */
const CITED_TEXT_MAX = 150;
/** Text goes out in pieces of this many characters, as CPA does (50 runes). */
const TEXT_DELTA_CHARS = 50;

export const SEARCH_SYSTEM_PROMPT =
  "You are a search engine bot. Search the web for the user's query and answer briefly from what you find, " +
  "in the language of the query. You MUST perform a web search; never answer from memory alone.";

export function isWebSearchTool(tool: Tool): boolean {
  return typeof tool.type === "string" && WEB_SEARCH_TYPE.test(tool.type);
}

export interface WebSearchPlan {
  /** What goes upstream as the user's words (Claude Code: "Perform a web search for the query: …"). */
  prompt: string;
  maxResults: number;
  allowedDomains: string[];
  blockedDomains: string[];
}

/**
 * A request becomes a search when web search is its only kind of tool and the client lets the
 * model use tools. Mixed with function tools it is not: Cloud Code refuses googleSearch next to
 * functionDeclarations, so such a request keeps its function tools and loses the search (README).
 */
export function planWebSearch(req: MessagesRequest): WebSearchPlan | undefined {
  const tools = req.tools ?? [];
  const search = tools.filter(isWebSearchTool);
  if (search.length === 0 || search.length !== tools.length) return undefined;
  if (req.tool_choice?.type === "none") return undefined;
  const prompt = lastUserText(req);
  if (!prompt) return undefined;
  const uses = search.map((t) => t.max_uses).filter((n): n is number => typeof n === "number");
  return {
    prompt,
    maxResults: uses.length > 0 ? Math.max(1, Math.min(...uses)) : DEFAULT_MAX_RESULTS,
    allowedDomains: domains(search.flatMap((t) => t.allowed_domains ?? [])),
    blockedDomains: domains(search.flatMap((t) => t.blocked_domains ?? [])),
  };
}

/** Whether the request carries a web search tool next to function tools (the search is dropped). */
export function mixesWebSearch(req: MessagesRequest): boolean {
  const tools = req.tools ?? [];
  return tools.some(isWebSearchTool) && !tools.every(isWebSearchTool);
}

function domains(list: string[]): string[] {
  return [...new Set(list.map((d) => d.trim().toLowerCase()).filter(Boolean))];
}

function lastUserText(req: MessagesRequest): string {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i]!;
    if (m.role !== "user") continue;
    const text = typeof m.content === "string" ? m.content : m.content.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("\n");
    if (text.trim()) return text.trim();
  }
  return "";
}

/** The Cloud Code `web_search` call, as the official client and CPA send it (no requestId, no sessionId). */
export function toWebSearchEnvelope(plan: WebSearchPlan, model: string, projectId: string): CloudCodeEnvelope {
  const googleSearch: GoogleSearchTool = { enhancedContent: { imageSearch: { maxResultCount: plan.maxResults } } };
  if (plan.allowedDomains.length > 0) googleSearch.includedDomains = plan.allowedDomains;
  if (plan.blockedDomains.length > 0) googleSearch.excludeDomains = plan.blockedDomains;
  return {
    model,
    requestType: "web_search",
    project: projectId,
    userAgent: "antigravity",
    request: {
      contents: [{ role: "user", parts: [{ text: plan.prompt }] }],
      systemInstruction: { role: "user", parts: [{ text: SEARCH_SYSTEM_PROMPT }] },
      tools: [{ googleSearch }],
      generationConfig: { candidateCount: 1 },
    },
  };
}

// ---- answer ----------------------------------------------------------------------------

export interface Grounded {
  text: string;
  queries: string[];
  /** One per grounding chunk, in upstream's order (citations refer to these indices). */
  sources: Array<{ uri: string; title: string }>;
  /** Cited passages: character ranges of `text` and the sources behind each. */
  passages: Array<{ start: number; end: number; sources: number[] }>;
  usage: { prompt: number; output: number };
}

/** Reads upstream's answer; the link URIs are still upstream's (redirects) at this point. */
export function readGrounding(response: CloudCodeResponse): Grounded {
  const candidate = response.candidates?.[0];
  const text = (candidate?.content?.parts ?? [])
    .filter((p) => p.thought !== true && typeof p.text === "string")
    .map((p) => p.text as string)
    .join("");
  const meta: GoogleGroundingMetadata = candidate?.groundingMetadata ?? {};
  const sources = (meta.groundingChunks ?? []).map((c, i) => ({
    uri: c.web?.uri ?? "",
    title: c.web?.title || c.web?.domain || `Result ${i + 1}`,
  }));
  const usage = response.usageMetadata;
  return {
    text,
    queries: (meta.webSearchQueries ?? []).filter((q) => typeof q === "string" && q.trim() !== ""),
    sources,
    passages: passagesOf(text, meta, sources.length),
    usage: { prompt: usage?.promptTokenCount ?? 0, output: (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0) },
  };
}

/**
 * Supports name their segment by UTF-8 byte offsets; mapped to string positions here. A segment
 * whose offsets do not hold its text (upstream drift) is found by its text instead, or dropped.
 */
function passagesOf(text: string, meta: GoogleGroundingMetadata, sourceCount: number): Grounded["passages"] {
  const bytes = Buffer.from(text, "utf8");
  const out: Grounded["passages"] = [];
  for (const support of meta.groundingSupports ?? []) {
    const sources = (support.groundingChunkIndices ?? []).filter((i) => Number.isInteger(i) && i >= 0 && i < sourceCount);
    const segment = support.segment;
    if (!segment || sources.length === 0) continue;
    const startByte = segment.startIndex ?? 0;
    const endByte = segment.endIndex ?? startByte;
    let start = bytes.subarray(0, startByte).toString("utf8").length;
    let end = start + bytes.subarray(startByte, endByte).toString("utf8").length;
    if (segment.text && text.slice(start, end) !== segment.text) {
      start = text.indexOf(segment.text);
      if (start < 0) continue;
      end = start + segment.text.length;
    }
    if (end <= start) continue;
    out.push({ start, end, sources });
  }
  // Overlaps would cite the same words twice: keep the earliest passage of each stretch.
  out.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Grounded["passages"] = [];
  for (const p of out) if (!kept.length || p.start >= kept.at(-1)!.end) kept.push(p);
  return kept;
}

export interface WebSearchAnswerContext {
  requestedModel: string;
  /** The search prompt, shown as the query when upstream reports none. */
  fallbackQuery: string;
  maxUses: number;
  /** Redirect URI → its target, for the links that were resolved. */
  resolved: ReadonlyMap<string, string>;
  messageId: string;
  toolUseId: string;
}

const QUERY_PREFIX = /^\s*perform a web search for the query:\s*/i;

export function toWebSearchMessage(grounded: Grounded, ctx: WebSearchAnswerContext): AnthropicMessage {
  const query = grounded.queries[0] ?? ctx.fallbackQuery.replace(QUERY_PREFIX, "").trim();
  const urlOf = (i: number) => {
    const uri = grounded.sources[i]?.uri ?? "";
    return ctx.resolved.get(uri) ?? uri;
  };
  const results: WebSearchResult[] = [];
  const seen = new Set<string>();
  for (const [i, source] of grounded.sources.entries()) {
    const url = urlOf(i);
    if (!url || seen.has(url)) continue;
    seen.add(url);
    results.push({ type: "web_search_result", title: source.title, url, encrypted_content: encode({ url, title: source.title }), page_age: null });
  }

  const content: ResponseContentBlock[] = [
    { type: "server_tool_use", id: ctx.toolUseId, name: "web_search", input: { query } },
    { type: "web_search_tool_result", tool_use_id: ctx.toolUseId, content: results },
    ...textBlocks(grounded, urlOf),
  ];
  const searches = grounded.sources.length > 0 || grounded.queries.length > 0 ? Math.min(Math.max(1, grounded.queries.length), ctx.maxUses) : 0;
  const usage: Usage = {
    input_tokens: grounded.usage.prompt,
    output_tokens: grounded.usage.output,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    server_tool_use: { web_search_requests: searches },
  };
  return {
    id: ctx.messageId,
    type: "message",
    role: "assistant",
    model: ctx.requestedModel,
    content,
    stop_reason: "end_turn",
    stop_sequence: null,
    usage,
  };
}

/** The answer split at its cited passages; a cited block lists the sources behind it. */
function textBlocks(grounded: Grounded, urlOf: (i: number) => string): TextBlock[] {
  const { text } = grounded;
  const blocks: TextBlock[] = [];
  let at = 0;
  const plain = (end: number) => {
    if (end > at) blocks.push({ type: "text", text: text.slice(at, end) });
  };
  for (const p of grounded.passages) {
    plain(p.start);
    const cited = text.slice(p.start, p.end);
    const citations: WebSearchCitation[] = p.sources.map((i) => ({
      type: "web_search_result_location",
      url: urlOf(i),
      title: grounded.sources[i]!.title,
      cited_text: cited.length > CITED_TEXT_MAX ? cited.slice(0, CITED_TEXT_MAX) : cited,
      encrypted_index: encode({ i }),
    }));
    blocks.push({ type: "text", text: cited, citations });
    at = p.end;
  }
  plain(text.length);
  if (blocks.length === 0) blocks.push({ type: "text", text: "" });
  return blocks;
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64");
}

/** The same message as Anthropic streams it: query as input_json_delta, citations before their text. */
export function webSearchEvents(message: AnthropicMessage): AnthropicStreamEvent[] {
  const events: AnthropicStreamEvent[] = [
    {
      type: "message_start",
      message: { ...message, content: [], stop_reason: null, usage: { ...message.usage, output_tokens: 0 } },
    },
  ];
  for (const [index, block] of message.content.entries()) {
    switch (block.type) {
      case "server_tool_use":
        events.push(
          { type: "content_block_start", index, content_block: { ...block, input: {} } },
          { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) } },
        );
        break;
      case "text":
        events.push({ type: "content_block_start", index, content_block: { type: "text", text: "" } });
        for (const citation of block.citations ?? []) events.push({ type: "content_block_delta", index, delta: { type: "citations_delta", citation } });
        // By code points, so no piece ends in half a surrogate pair.
        for (let runes = Array.from(block.text), i = 0; i < runes.length; i += TEXT_DELTA_CHARS) {
          events.push({ type: "content_block_delta", index, delta: { type: "text_delta", text: runes.slice(i, i + TEXT_DELTA_CHARS).join("") } });
        }
        break;
      default:
        events.push({ type: "content_block_start", index, content_block: block });
    }
    events.push({ type: "content_block_stop", index });
  }
  events.push(
    { type: "message_delta", delta: { stop_reason: message.stop_reason, stop_sequence: null }, usage: message.usage },
    { type: "message_stop" },
  );
  return events;
}
