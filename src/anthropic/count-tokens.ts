/**
 * An estimate of what Anthropic's count_tokens would answer, computed locally. Claude Code uses
 * it to decide when to compact, so it must grow with everything that fills the context window.
 *
 * Method
 * - Text: one pass over the characters, pricing each by class. Calibrated so English prose
 *   comes out at Anthropic's published rule of thumb of ~3.5 characters per token: ASCII letters
 *   cost 1/3.05 (a single space before a word rides along free), digits 1/2.5 (numbers split into
 *   short groups), punctuation 0.8 each, a newline run 1, each further 4 spaces of indentation 1,
 *   CJK characters 1.1 each, other non-ASCII letters 0.5, emoji and other astral characters 2.
 * - Images: Anthropic's documented price, width × height / 750 tokens, after the downscale to a
 *   long edge of at most 1568 px, capped at 1600. Sizes come from the PNG/JPEG/GIF/WebP header;
 *   an image we cannot size (URL, unknown format) counts as the 1600 maximum.
 * - PDFs: per page (pages counted in the file) ~2250 text tokens (middle of Anthropic's stated
 *   1500–3000) plus one page image at the 1600 cap. Text documents count as text.
 * - Structure: 3 per request, 4 per message, 3 for a system prompt; tools add the tool-use system
 *   prompt Anthropic documents for Claude 4 models (346 tokens, 313 when a tool is forced) plus
 *   each definition as JSON; tool_use counts name and JSON input, tool_result its content.
 * - Thinking: Anthropic drops thinking of earlier turns from the context, so only thinking in the
 *   final assistant turn (an ongoing tool loop) counts.
 *
 * Measured accuracy (tests/anthropic/count-tokens.test.ts): English prose lands within 10% of the
 * 3.5 chars/token rule; source code lands at 2.6–3.3 chars/token, where published Claude
 * measurements put code; images match the documented formula exactly. Against the real tokenizer
 * expect roughly ±15% on English prose and ±25% on code and JSON, worse on CJK and emoji-heavy
 * text (±40%), and PDFs only to within a factor of two (page density varies). Good enough to
 * decide "close to the window", not for billing.
 */
import { base64ImageSize, decodeBase64 } from "./image-size.ts";
import type { ContentBlock, CountTokensRequest, DocumentBlock, ImageBlock, MessageParam, Tool } from "./types.ts";

const REQUEST_OVERHEAD = 3;
const MESSAGE_OVERHEAD = 4;
const SYSTEM_OVERHEAD = 3;
const TOOL_OVERHEAD = 5;
const TOOL_USE_OVERHEAD = 10;
const TOOL_RESULT_OVERHEAD = 5;
const TOOLS_SYSTEM_PROMPT_AUTO = 346;
const TOOLS_SYSTEM_PROMPT_FORCED = 313;
const IMAGE_MAX_TOKENS = 1600;
const IMAGE_MAX_EDGE = 1568;
const IMAGE_PIXELS_PER_TOKEN = 750;
const PDF_TEXT_TOKENS_PER_PAGE = 2250;
const PDF_TOKENS_PER_PAGE = PDF_TEXT_TOKENS_PER_PAGE + IMAGE_MAX_TOKENS;
/** When a PDF's pages cannot be counted: a typical text page is 50–100 KB of PDF. */
const PDF_BYTES_PER_PAGE_GUESS = 75_000;

export function countTokens(req: CountTokensRequest): number {
  let total = REQUEST_OVERHEAD;
  if (req.system !== undefined) {
    total += SYSTEM_OVERHEAD;
    if (typeof req.system === "string") total += estimateTextTokens(req.system);
    else for (const b of req.system) total += estimateTextTokens(b.text);
  }
  if (req.tools?.length) {
    const forced = req.tool_choice?.type === "any" || req.tool_choice?.type === "tool";
    total += forced ? TOOLS_SYSTEM_PROMPT_FORCED : TOOLS_SYSTEM_PROMPT_AUTO;
    for (const tool of req.tools) total += toolTokens(tool);
  }
  const lastAssistant = lastAssistantIndex(req.messages);
  req.messages.forEach((m, i) => {
    total += MESSAGE_OVERHEAD + messageTokens(m, i === lastAssistant);
  });
  return Math.ceil(total);
}

function toolTokens(tool: Tool): number {
  return (
    TOOL_OVERHEAD +
    estimateTextTokens(tool.name) +
    estimateTextTokens(tool.description ?? "") +
    estimateTextTokens(tool.input_schema ? JSON.stringify(tool.input_schema) : "")
  );
}

function lastAssistantIndex(messages: MessageParam[]): number {
  // Thinking counts only while the assistant turn is still open: it is the last message, or
  // only tool results follow it.
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as MessageParam;
    if (m.role === "assistant") return i;
    const onlyToolResults = typeof m.content !== "string" && m.content.length > 0 && m.content.every((b) => b.type === "tool_result");
    if (!onlyToolResults) return -1;
  }
  return -1;
}

function messageTokens(m: MessageParam, countThinking: boolean): number {
  if (typeof m.content === "string") return estimateTextTokens(m.content);
  let total = 0;
  for (const b of m.content) total += blockTokens(b, countThinking);
  return total;
}

function blockTokens(b: ContentBlock, countThinking: boolean): number {
  switch (b.type) {
    case "text":
      return estimateTextTokens(b.text);
    case "image":
      return imageTokens(b);
    case "document":
      return documentTokens(b);
    case "tool_use":
      return TOOL_USE_OVERHEAD + estimateTextTokens(b.name) + estimateTextTokens(JSON.stringify(b.input));
    case "tool_result": {
      let total = TOOL_RESULT_OVERHEAD;
      if (typeof b.content === "string") total += estimateTextTokens(b.content);
      else for (const c of b.content ?? []) total += blockTokens(c, false);
      return total;
    }
    case "thinking":
      return countThinking ? estimateTextTokens(b.thinking) : 0;
    case "redacted_thinking":
      // Encrypted base64: about four characters per token of the hidden text.
      return countThinking ? Math.ceil(b.data.length / 4) : 0;
    default:
      // Hosted-tool blocks (web search results, ...): priced as their JSON.
      return estimateTextTokens(JSON.stringify(b));
  }
}

export function imageTokens(b: ImageBlock): number {
  if (b.source.type !== "base64") return IMAGE_MAX_TOKENS;
  const size = base64ImageSize(b.source.data);
  return size ? imageTokensForSize(size.width, size.height) : IMAGE_MAX_TOKENS;
}

export function imageTokensForSize(width: number, height: number): number {
  const scale = Math.min(1, IMAGE_MAX_EDGE / Math.max(width, height));
  const tokens = Math.ceil((Math.round(width * scale) * Math.round(height * scale)) / IMAGE_PIXELS_PER_TOKEN);
  return Math.min(IMAGE_MAX_TOKENS, Math.max(1, tokens));
}

function documentTokens(b: DocumentBlock): number {
  const title = estimateTextTokens(b.title ?? "") + estimateTextTokens(b.context ?? "");
  const s = b.source;
  if (s.type === "text") return title + estimateTextTokens(s.data);
  if (s.type === "url") return title + PDF_TOKENS_PER_PAGE;
  if (!s.media_type.includes("pdf")) {
    // A base64 text document (text/plain and the like).
    const bytes = decodeBase64(s.data);
    return title + (bytes ? estimateTextTokens(new TextDecoder().decode(bytes)) : Math.ceil(s.data.length / 4));
  }
  return title + pdfPages(s.data) * PDF_TOKENS_PER_PAGE;
}

function pdfPages(base64: string): number {
  const bytes = decodeBase64(base64);
  if (!bytes) return 1;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  // Page objects, not the /Pages tree nodes. Compressed object streams hide them: fall back to size.
  const pages = text.match(/\/Type\s*\/Page(?![a-zA-Z])/g)?.length ?? 0;
  return Math.max(1, pages || Math.round(bytes.byteLength / PDF_BYTES_PER_PAGE_GUESS));
}

// ---- text ----------------------------------------------------------------------------

const LETTER_COST = 1 / 3.05;
const DIGIT_COST = 1 / 2.5;
const PUNCT_COST = 0.8;
const NEWLINE_RUN_COST = 1;
const INDENT_COST_PER_4 = 1;
const CJK_COST = 1.1;
const OTHER_LETTER_COST = 0.5;
const ASTRAL_COST = 2;

/** Token estimate for a text, by character class (see the module comment for the calibration). */
export function estimateTextTokens(text: string): number {
  let tokens = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) tokens += LETTER_COST;
    else if (c === 32) {
      // One space belongs to the next word; longer runs are indentation or alignment.
      let run = 1;
      while (i + 1 < n && text.charCodeAt(i + 1) === 32) {
        run++;
        i++;
      }
      if (run > 1) tokens += Math.ceil((run - 1) / 4) * INDENT_COST_PER_4;
    } else if (c === 10 || c === 13) {
      while (i + 1 < n && (text.charCodeAt(i + 1) === 10 || text.charCodeAt(i + 1) === 13)) i++;
      tokens += NEWLINE_RUN_COST;
    } else if (c >= 48 && c <= 57) tokens += DIGIT_COST;
    else if (c === 9) tokens += 1;
    else if (c < 128) tokens += c > 32 ? PUNCT_COST : 0;
    else if (c >= 0xd800 && c <= 0xdbff) {
      tokens += ASTRAL_COST;
      i++; // the low surrogate
    } else if (isCjk(c)) tokens += CJK_COST;
    else tokens += OTHER_LETTER_COST;
  }
  return Math.ceil(tokens);
}

function isCjk(c: number): boolean {
  return (
    (c >= 0x3040 && c <= 0x30ff) || // kana
    (c >= 0x3400 && c <= 0x9fff) || // CJK ideographs
    (c >= 0xac00 && c <= 0xd7af) || // hangul
    (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0xff00 && c <= 0xffef) // full-width forms
  );
}
