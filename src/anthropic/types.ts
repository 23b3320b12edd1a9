/**
 * The Anthropic Messages API as agcp speaks it: what clients send (after validation by
 * ./schema.ts) and what we answer. Only the fields agcp reads or writes are typed; clients may
 * send more and validation drops what it does not know.
 */

// ---- request content -------------------------------------------------------------------

export interface TextBlock {
  type: "text";
  text: string;
  /** Answers only: the web search results a passage rests on. */
  citations?: WebSearchCitation[];
}

/** Where a passage of an answer came from (web search answers). */
export interface WebSearchCitation {
  type: "web_search_result_location";
  url: string;
  title: string;
  cited_text: string;
  encrypted_index: string;
}

export type ImageSource =
  | { type: "base64"; media_type: string; data: string }
  | { type: "url"; url: string };

export interface ImageBlock {
  type: "image";
  source: ImageSource;
}

export type DocumentSource =
  | { type: "base64"; media_type: string; data: string }
  | { type: "text"; media_type?: string; data: string }
  | { type: "url"; url: string };

export interface DocumentBlock {
  type: "document";
  source: DocumentSource;
  title?: string;
  context?: string;
}

export interface ToolUseBlock {
  type: "tool_use";
  id: string;
  name: string;
  input: Record<string, unknown>;
}

export type ToolResultContent = TextBlock | ImageBlock | DocumentBlock;

export interface ToolResultBlock {
  type: "tool_result";
  tool_use_id: string;
  content?: string | ToolResultContent[];
  is_error?: boolean;
}

export interface ThinkingBlock {
  type: "thinking";
  thinking: string;
  signature: string;
}

export interface RedactedThinkingBlock {
  type: "redacted_thinking";
  data: string;
}

/**
 * Blocks of Anthropic-hosted tools (web search, web fetch, code execution). They only appear in
 * history resumed from a session that ran against Anthropic itself; accepted so such a session
 * keeps working, and not forwarded (no upstream counterpart).
 */
export const SERVER_TOOL_BLOCK_TYPES = [
  "server_tool_use",
  "web_search_tool_result",
  "web_fetch_tool_result",
  "code_execution_tool_result",
  "bash_code_execution_tool_result",
  "text_editor_code_execution_tool_result",
  "mcp_tool_use",
  "mcp_tool_result",
  "container_upload",
  "search_result",
] as const;

export interface ServerToolBlock {
  type: (typeof SERVER_TOOL_BLOCK_TYPES)[number];
  [field: string]: unknown;
}

export type ContentBlock =
  | ServerToolBlock
  | TextBlock
  | ImageBlock
  | DocumentBlock
  | ToolUseBlock
  | ToolResultBlock
  | ThinkingBlock
  | RedactedThinkingBlock;

export interface MessageParam {
  role: "user" | "assistant" | "system";
  content: string | ContentBlock[];
}

// ---- request ---------------------------------------------------------------------------

export interface Tool {
  name: string;
  description?: string;
  /** Absent for Anthropic server tools (web_search, ...); we then declare a parameterless tool. */
  input_schema?: Record<string, unknown>;
  /** Server tools carry a versioned type such as "web_search_20250305"; custom tools "custom" or nothing. */
  type?: string;
  /** Web search tools: most searches per request. */
  max_uses?: number;
  /** Web search tools: only these domains, or never these. */
  allowed_domains?: string[] | null;
  blocked_domains?: string[] | null;
}

export type ToolChoice =
  | { type: "auto"; disable_parallel_tool_use?: boolean }
  | { type: "any"; disable_parallel_tool_use?: boolean }
  | { type: "tool"; name: string; disable_parallel_tool_use?: boolean }
  | { type: "none" };

/**
 * `display: "omitted"` asks for thinking blocks without their text (signature kept), as Claude Code
 * does; anything else (or nothing) shows the thinking.
 */
export type ThinkingConfig =
  | { type: "enabled"; budget_tokens: number; display?: string }
  | { type: "disabled" }
  /** Newer clients let the model pick its budget, guided by `output_config.effort`. */
  | { type: "adaptive"; display?: string };

/** `output_config.effort`, as far as agcp understands it (src/google/thinking.ts maps it). */
export type Effort = "low" | "medium" | "high" | "max";

export interface OutputConfig {
  /** low / medium / high / max; kept as sent, unknown words are ignored. */
  effort?: string;
}

/** One `context_management` edit; only `clear_thinking_*` changes what agcp sends. */
export interface ContextEdit {
  type: string;
  /** clear_thinking: "all", or `{type: "thinking_turns", value: N}` (default: the last turn). */
  keep?: unknown;
  [field: string]: unknown;
}

export interface ContextManagement {
  edits?: ContextEdit[];
}

export interface MessagesRequest {
  model: string;
  messages: MessageParam[];
  system?: string | TextBlock[];
  max_tokens: number;
  stream?: boolean;
  tools?: Tool[];
  tool_choice?: ToolChoice;
  thinking?: ThinkingConfig;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  metadata?: { user_id?: string | null };
  output_config?: OutputConfig;
  context_management?: ContextManagement;
}

/** count_tokens takes the same body minus generation settings. */
export interface CountTokensRequest {
  model: string;
  messages: MessageParam[];
  system?: string | TextBlock[];
  tools?: Tool[];
  tool_choice?: ToolChoice;
  thinking?: ThinkingConfig;
  output_config?: OutputConfig;
  context_management?: ContextManagement;
}

// ---- response --------------------------------------------------------------------------

export type StopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "pause_turn" | "refusal";

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
  server_tool_use?: { web_search_requests: number };
}

/** The search the server ran on the model's behalf (Anthropic's own tool, answered by agcp). */
export interface ServerToolUseBlock {
  type: "server_tool_use";
  id: string;
  name: "web_search";
  input: { query?: string };
}

export interface WebSearchResult {
  type: "web_search_result";
  title: string;
  url: string;
  encrypted_content: string;
  page_age: string | null;
}

export interface WebSearchToolResultBlock {
  type: "web_search_tool_result";
  tool_use_id: string;
  content: WebSearchResult[];
}

export type ResponseContentBlock =
  | TextBlock
  | ThinkingBlock
  | RedactedThinkingBlock
  | ToolUseBlock
  | ServerToolUseBlock
  | WebSearchToolResultBlock;

export interface AnthropicMessage {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: ResponseContentBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: Usage;
}

// ---- stream events ---------------------------------------------------------------------

export type ContentBlockDelta =
  | { type: "text_delta"; text: string }
  | { type: "thinking_delta"; thinking: string }
  | { type: "signature_delta"; signature: string }
  | { type: "input_json_delta"; partial_json: string }
  | { type: "citations_delta"; citation: WebSearchCitation };

export interface MessageStartEvent {
  type: "message_start";
  message: AnthropicMessage;
}
export interface ContentBlockStartEvent {
  type: "content_block_start";
  index: number;
  content_block: ResponseContentBlock;
}
export interface ContentBlockDeltaEvent {
  type: "content_block_delta";
  index: number;
  delta: ContentBlockDelta;
}
export interface ContentBlockStopEvent {
  type: "content_block_stop";
  index: number;
}
export interface MessageDeltaEvent {
  type: "message_delta";
  delta: { stop_reason: StopReason | null; stop_sequence: string | null };
  usage: Usage;
}
export interface MessageStopEvent {
  type: "message_stop";
}
export interface PingEvent {
  type: "ping";
}
export interface ErrorEvent {
  type: "error";
  error: { type: string; message: string };
}

export type AnthropicStreamEvent =
  | MessageStartEvent
  | ContentBlockStartEvent
  | ContentBlockDeltaEvent
  | ContentBlockStopEvent
  | MessageDeltaEvent
  | MessageStopEvent
  | PingEvent
  | ErrorEvent;
