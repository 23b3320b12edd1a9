/**
 * Streaming: upstream SSE bytes → JSON chunks (`parseSse`) → Anthropic stream events
 * (`createStreamTranslator`). Both are incremental: nothing waits for the whole response, and the
 * translator does constant work per part (this is the proxy's hot path).
 */
import type { AnthropicStreamEvent, StopReason } from "../anthropic/types.ts";
import { type IdSource, randomId, toolUseId } from "./ids.ts";
import { stopReason, toUsage } from "./response.ts";
import { withoutPlaceholder } from "./schema-sanitize.ts";
import type { SignatureCache } from "./signatures.ts";
import type { ToolNameMap } from "./tool-names.ts";
import type { CloudCodeChunk, CloudCodeResponse, GoogleUsageMetadata, ModelFamily } from "./types.ts";

// ---- SSE ------------------------------------------------------------------------------

export class SseParseError extends Error {
  override readonly name = "SseParseError";
}

/** The stream stayed silent for longer than the reader was told to wait. */
export class SseIdleError extends Error {
  override readonly name = "SseIdleError";
}

export interface ParseSseOptions {
  /**
   * Longest silence between two reads before the body is cancelled and SseIdleError thrown.
   * Without it a peer that sends headers and then nothing keeps the reader waiting for ever.
   */
  idleMs?: number;
  /** Longest line accepted (characters); a longer one fails the stream with SseParseError. */
  maxLineLength?: number;
}

/** Room for a large inline image in one event; beyond it a line is a broken or hostile upstream. */
export const DEFAULT_MAX_SSE_LINE = 32 * 1024 * 1024;

/**
 * Yields the parsed JSON of each SSE event's data. Handles LF, CRLF and CR line ends split
 * anywhere (even inside a multi-byte character), multi-line data, comments and other fields, and a
 * final event without its blank line. Broken JSON throws SseParseError.
 */
export async function* parseSse(body: ReadableStream<Uint8Array>, options: ParseSseOptions = {}): AsyncGenerator<unknown> {
  for await (const batch of parseSseBatches(body, options)) yield* batch;
}

/**
 * Like parseSse, but yields every event completed by one network read together. A proxy that
 * forwards per batch wakes up and writes once per read instead of once per event.
 */
export async function* parseSseBatches(body: ReadableStream<Uint8Array>, options: ParseSseOptions = {}): AsyncGenerator<unknown[]> {
  const { idleMs } = options;
  const decoder = new TextDecoder();
  const sse = new SseDecoder(options.maxLineLength);
  const reader = body.getReader();
  let drained = false;
  let silent = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    if (idleMs === undefined) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      silent = true;
      // Ends the pending read (done: true); the loop then sees `silent`.
      reader.cancel().catch(() => {});
    }, idleMs);
  };
  arm();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (silent) throw new SseIdleError(`nothing arrived for ${idleMs} ms`);
      if (done) drained = true;
      else arm();
      const events = done ? sse.end(decoder.decode()) : sse.push(decoder.decode(value, { stream: true }));
      if (events.length > 0) yield events;
      // Events before a broken one went out above; now the break.
      if (sse.failure) throw sse.failure;
      if (done) break;
    }
  } finally {
    clearTimeout(timer);
    // The consumer stopped early (client gone, bad JSON, silence): tell upstream we are not reading on.
    if (!drained) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * Incremental SSE decoder: feed it text as it arrives; it returns the events that text completed.
 * At an event whose data is not JSON it returns the events before it and sets `failure`.
 */
export class SseDecoder {
  private buffer = "";
  /** Text of a line still waiting for its end, kept in pieces: joining on every read would be quadratic. */
  private parts: string[] = [];
  private partsLength = 0;
  private data: string[] = [];
  private dataLength = 0;
  failure: SseParseError | undefined;

  constructor(private readonly maxLineLength = DEFAULT_MAX_SSE_LINE) {}

  push(text: string): unknown[] {
    // No line end in this read (and no CR waiting for its LF): it only lengthens the current line.
    if (!this.failure && !this.buffer.endsWith("\r") && text.indexOf("\n") === -1 && text.indexOf("\r") === -1) {
      this.parts.push(text);
      this.partsLength += text.length;
      this.checkLineLength(this.buffer.length + this.partsLength);
      return [];
    }
    return this.scan(this.takeParts() + text, false);
  }

  private takeParts(): string {
    if (this.parts.length === 0) return "";
    const joined = this.parts.join("");
    this.parts = [];
    this.partsLength = 0;
    return joined;
  }

  private checkLineLength(length: number): void {
    if (length <= this.maxLineLength) return;
    this.failure = new SseParseError(`upstream sent an SSE line longer than ${this.maxLineLength} characters (config: limits.maxSseLineBytes)`);
    this.buffer = "";
    this.parts = [];
    this.partsLength = 0;
    this.data = [];
  }

  /** The stream ended: whatever is left, even without its blank line, is the last event. */
  end(text = ""): unknown[] {
    const out = this.scan(this.takeParts() + text, true);
    const rest = this.buffer;
    this.buffer = "";
    if (rest.startsWith("data:")) this.data.push(rest.charCodeAt(5) === 32 ? rest.slice(6) : rest.slice(5));
    if (this.data.length && !this.failure) {
      try {
        const event = parseData(this.data);
        if (event !== undefined) out.push(event);
      } catch (err) {
        if (!(err instanceof SseParseError)) throw err;
        this.failure = err;
      }
      this.data = [];
    }
    return out;
  }

  private scan(text: string, done: boolean): unknown[] {
    const out: unknown[] = [];
    if (this.failure) return out;
    try {
      this.scanInto(out, text, done);
    } catch (err) {
      if (!(err instanceof SseParseError)) throw err;
      this.failure = err;
      this.buffer = "";
      this.data = [];
    }
    return out;
  }

  private scanInto(out: unknown[], text: string, done: boolean): void {
    const buffer = this.buffer + text;
    let start = 0;
    // Where the next CR is; searched again only once passed, so CR-free input stays linear.
    let cr = -2;
    for (;;) {
      const lf = buffer.indexOf("\n", start);
      if (cr !== -1 && cr < start) cr = buffer.indexOf("\r", start);
      const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (end === -1) break;
      let next = end + 1;
      if (buffer.charCodeAt(end) === 13) {
        // A CR at the very end of what we have may be the first half of a CRLF.
        if (end === buffer.length - 1 && !done) break;
        if (buffer.charCodeAt(end + 1) === 10) next++;
      }
      const line = buffer.slice(start, end);
      start = next;
      if (line === "") {
        if (this.data.length) {
          const event = parseData(this.data);
          this.data = [];
          this.dataLength = 0;
          if (event !== undefined) out.push(event);
        }
      } else if (line.startsWith("data:")) {
        this.data.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
        // Many short data lines of one event add up like one long line.
        this.dataLength += line.length;
        if (this.dataLength > this.maxLineLength) throw new SseParseError(`upstream sent an SSE event longer than ${this.maxLineLength} characters (config: limits.maxSseLineBytes)`);
      }
      // Comments (":…") and other fields (event:, id:, retry:) carry nothing we need.
    }
    this.buffer = buffer.slice(start);
    if (!done) this.checkLineLength(this.buffer.length);
  }
}

function parseData(lines: string[]): unknown {
  const text = lines.length === 1 ? (lines[0] as string) : lines.join("\n");
  if (text === "[DONE]" || text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    const preview = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    throw new SseParseError(`upstream sent an SSE event whose data is not valid JSON: ${preview}`);
  }
}

// ---- translation ---------------------------------------------------------------------

export interface StreamTranslatorContext {
  requestedModel: string;
  toolNames: ToolNameMap;
  signatures: SignatureCache;
  family: ModelFamily;
  /** Shown in message_start before upstream reports usage (e.g. a count_tokens estimate). */
  estimatedInputTokens?: number;
  /** `thinking.display: "omitted"`: thinking blocks go out empty, signature kept (the text is kept here). */
  omitThinking?: boolean;
  /**
   * The client did not ask for thinking, yet the model thinks (thinking models always do upstream):
   * no thinking block goes out, as Anthropic's API would send none. What a tool call needs back on
   * the next turn is kept by its tool_use id (SignatureCache.hiddenThinking).
   */
  hideThinking?: boolean;
  newId?: IdSource;
}

export interface StreamTranslator {
  start(): AnthropicStreamEvent[];
  push(chunk: CloudCodeChunk | CloudCodeResponse): AnthropicStreamEvent[];
  finish(): AnthropicStreamEvent[];
  /** Whether upstream produced anything (a hidden thinking block counts); false means its answer was empty. */
  readonly hasContent: boolean;
  /** Whether upstream said the answer is complete (a finishReason); a stream that ends without one was cut. */
  readonly complete: boolean;
}

type OpenBlock = "none" | "text" | "thinking" | "hidden";

export function createStreamTranslator(ctx: StreamTranslatorContext): StreamTranslator {
  return new Translator(ctx);
}

/** A class rather than closures: one allocation per stream, plain fields on the hot path. */
class Translator implements StreamTranslator {
  private readonly ctx: StreamTranslatorContext;
  private readonly newId: IdSource;
  private readonly messageId: string;
  private index = -1;
  private open: OpenBlock = "none";
  private pendingSignature = "";
  /** The open thinking block's text, kept only while display is omitted. */
  private omittedText = "";
  /** Hidden thinking being read, and the last one closed, waiting for the tool call it precedes. */
  private hiddenText = "";
  private lastHidden: { text: string; signature: string } | undefined;
  private finishReason: string | undefined;
  private usage: GoogleUsageMetadata | undefined;
  private sawToolUse = false;
  private blocks = 0;
  private finished = false;

  constructor(ctx: StreamTranslatorContext) {
    this.ctx = ctx;
    this.newId = ctx.newId ?? randomId;
    this.messageId = this.newId("msg");
  }

  get complete(): boolean {
    return this.finishReason !== undefined;
  }

  get hasContent(): boolean {
    return this.blocks > 0;
  }

  start(): AnthropicStreamEvent[] {
    return [
      {
        type: "message_start",
        message: {
          id: this.messageId,
          type: "message",
          role: "assistant",
          model: this.ctx.requestedModel,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: {
            input_tokens: this.ctx.estimatedInputTokens ?? 0,
            output_tokens: 0,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
          },
        },
      },
    ];
  }

  push(chunk: CloudCodeChunk | CloudCodeResponse): AnthropicStreamEvent[] {
    const response: CloudCodeResponse | undefined = "response" in chunk ? chunk.response : (chunk as CloudCodeResponse);
    const out: AnthropicStreamEvent[] = [];
    if (!response || this.finished) return out;
    if (response.usageMetadata) this.usage = response.usageMetadata;
    const candidate = response.candidates?.[0];
    if (!candidate) return out;
    if (candidate.finishReason) this.finishReason = candidate.finishReason;
    const parts = candidate.content?.parts;
    if (!parts) return out;

    for (const part of parts) {
      if (part.functionCall) {
        // Claude on Cloud Code signs its thinking on the part after it, which may be this call.
        if (part.thoughtSignature && this.ctx.family === "claude" && (this.open === "thinking" || this.open === "hidden") && !this.pendingSignature) {
          this.pendingSignature = part.thoughtSignature;
        }
        this.close(out);
        const call = part.functionCall;
        const id = toolUseId(call.id, this.newId);
        if (this.lastHidden) {
          this.ctx.signatures.rememberHiddenThinking(id, this.lastHidden);
          this.lastHidden = undefined;
        }
        if (part.thoughtSignature && this.ctx.family === "gemini") this.ctx.signatures.rememberToolCall(id, part.thoughtSignature);
        const index = ++this.index;
        this.blocks++;
        this.sawToolUse = true;
        out.push(
          {
            type: "content_block_start",
            index,
            content_block: { type: "tool_use", id, name: this.ctx.toolNames.toOriginal(call.name), input: {} },
          },
          // Upstream sends a call whole, so its arguments go out as one delta.
          { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: JSON.stringify(withoutPlaceholder(call.args)) } },
          { type: "content_block_stop", index },
        );
      } else if (part.thought === true && this.ctx.hideThinking) {
        if (this.open !== "hidden") {
          if (!part.text) continue;
          this.close(out);
          this.open = "hidden";
          // Upstream did answer (an answer cut short while thinking is no empty answer to retry).
          this.blocks++;
        }
        this.hiddenText += part.text ?? "";
        if (part.thoughtSignature) this.pendingSignature = part.thoughtSignature;
      } else if (part.thought === true) {
        const text = part.text ?? "";
        if (this.open !== "thinking") {
          // A signature-only part with nothing open belongs to no block we could still sign.
          if (!text) continue;
          this.openBlock(out, "thinking");
        }
        if (this.ctx.omitThinking) this.omittedText += text;
        else if (text) out.push({ type: "content_block_delta", index: this.index, delta: { type: "thinking_delta", thinking: text } });
        if (part.thoughtSignature) this.pendingSignature = part.thoughtSignature;
      } else if (typeof part.text === "string") {
        // Gemini may sign the first answer part instead of the thoughts before it.
        if (part.thoughtSignature && (this.open === "thinking" || this.open === "hidden") && !this.pendingSignature) this.pendingSignature = part.thoughtSignature;
        if (!part.text) continue;
        if (this.open !== "text") this.openBlock(out, "text");
        out.push({ type: "content_block_delta", index: this.index, delta: { type: "text_delta", text: part.text } });
      }
    }
    return out;
  }

  finish(): AnthropicStreamEvent[] {
    const out: AnthropicStreamEvent[] = [];
    if (this.finished) return out;
    this.finished = true;
    this.close(out);
    const reason: StopReason = stopReason(this.finishReason, this.sawToolUse);
    out.push(
      { type: "message_delta", delta: { stop_reason: reason, stop_sequence: null }, usage: toUsage(this.usage) },
      { type: "message_stop" },
    );
    return out;
  }

  private openBlock(out: AnthropicStreamEvent[], kind: "text" | "thinking"): void {
    this.close(out);
    const index = ++this.index;
    this.open = kind;
    this.blocks++;
    out.push({
      type: "content_block_start",
      index,
      content_block: kind === "text" ? { type: "text", text: "" } : { type: "thinking", thinking: "", signature: "" },
    });
  }

  private close(out: AnthropicStreamEvent[]): void {
    if (this.open === "none") return;
    if (this.open === "hidden") {
      // Nothing went out for it: keep it for the tool call that may follow in this answer.
      if (this.pendingSignature) {
        this.ctx.signatures.rememberThinking(this.pendingSignature, this.ctx.family);
        this.lastHidden = { text: this.hiddenText, signature: this.pendingSignature };
      }
      this.pendingSignature = "";
      this.hiddenText = "";
      this.open = "none";
      return;
    }
    if (this.open === "thinking" && this.pendingSignature) {
      out.push({ type: "content_block_delta", index: this.index, delta: { type: "signature_delta", signature: this.pendingSignature } });
      this.ctx.signatures.rememberThinking(this.pendingSignature, this.ctx.family);
      if (this.ctx.omitThinking) this.ctx.signatures.rememberThinkingText(this.pendingSignature, this.omittedText);
      this.pendingSignature = "";
    }
    out.push({ type: "content_block_stop", index: this.index });
    this.open = "none";
    this.omittedText = "";
  }
}
