/**
 * Validation of Messages and count_tokens bodies. Objects are parsed in zod's default strip
 * mode on purpose: unknown fields (new top-level options, `cache_control`, `citations`, ...) are
 * accepted and dropped here, so nothing the upstream would reject as "Extra inputs" survives.
 * The first problem found becomes an `invalid_request_error` naming the field path.
 */
import { z } from "zod";
import { ApiError } from "./errors.ts";
import { type CountTokensRequest, type MessagesRequest, SERVER_TOOL_BLOCK_TYPES } from "./types.ts";

const textBlock = z.object({ type: z.literal("text"), text: z.string() });

const imageSource = z.discriminatedUnion(
  "type",
  [
    z.object({ type: z.literal("base64"), media_type: z.string(), data: z.string() }),
    z.object({ type: z.literal("url"), url: z.string() }),
  ],
  { error: () => "unknown image source type" },
);
const imageBlock = z.object({ type: z.literal("image"), source: imageSource });

const documentSource = z.discriminatedUnion(
  "type",
  [
    z.object({ type: z.literal("base64"), media_type: z.string(), data: z.string() }),
    z.object({ type: z.literal("text"), media_type: z.string().optional(), data: z.string() }),
    z.object({ type: z.literal("url"), url: z.string() }),
  ],
  { error: () => "unknown document source type" },
);
const documentBlock = z.object({
  type: z.literal("document"),
  source: documentSource,
  title: z.string().nullish().transform((v) => v ?? undefined),
  context: z.string().nullish().transform((v) => v ?? undefined),
});

const toolResultContent = z.discriminatedUnion("type", [textBlock, imageBlock, documentBlock], {
  error: () => "unknown tool_result content block type",
});

const contentBlock = z.discriminatedUnion(
  "type",
  [
    textBlock,
    imageBlock,
    documentBlock,
    z.object({
      type: z.literal("tool_use"),
      id: z.string(),
      name: z.string(),
      input: z.record(z.string(), z.unknown()),
    }),
    z.object({
      type: z.literal("tool_result"),
      tool_use_id: z.string(),
      content: z.union([z.string(), z.array(toolResultContent)]).optional(),
      is_error: z.boolean().optional(),
    }),
    z.object({ type: z.literal("thinking"), thinking: z.string(), signature: z.string() }),
    z.object({ type: z.literal("redacted_thinking"), data: z.string() }),
    z.looseObject({ type: z.enum(SERVER_TOOL_BLOCK_TYPES) }),
  ],
  { error: () => "unknown content block type" },
);

const message = z.object({
  // Claude Code also sends mid-conversation "system" messages; they travel upstream as user text in place.
  role: z.enum(["user", "assistant", "system"]),
  content: z.union([z.string(), z.array(contentBlock)]),
});

const tool = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
  type: z.string().optional(),
  // Web search tools (web_search_20250305, web_search_20260209).
  max_uses: z.number().int().min(1).optional(),
  allowed_domains: z.array(z.string()).nullish(),
  blocked_domains: z.array(z.string()).nullish(),
});

const toolChoice = z.discriminatedUnion(
  "type",
  [
    z.object({ type: z.literal("auto"), disable_parallel_tool_use: z.boolean().optional() }),
    z.object({ type: z.literal("any"), disable_parallel_tool_use: z.boolean().optional() }),
    z.object({ type: z.literal("tool"), name: z.string(), disable_parallel_tool_use: z.boolean().optional() }),
    z.object({ type: z.literal("none") }),
  ],
  { error: () => "unknown tool_choice type" },
);

const thinking = z.discriminatedUnion(
  "type",
  [
    z.object({ type: z.literal("enabled"), budget_tokens: z.number().int().min(0), display: z.string().optional() }),
    z.object({ type: z.literal("disabled") }),
    z.object({ type: z.literal("adaptive"), display: z.string().optional() }),
  ],
  { error: () => "unknown thinking type" },
);

const system = z.union([z.string(), z.array(textBlock)]);

// Newer Claude Code options. Loose on purpose: fields added later must not turn into 400s.
const outputConfig = z.object({ effort: z.string().optional() });
const contextManagement = z.object({ edits: z.array(z.looseObject({ type: z.string() })).optional() });

const messagesRequest = z.object({
  model: z.string().min(1),
  // Anthropic's API refuses an empty conversation too; upstream would answer it with a 400.
  messages: z.array(message).min(1),
  system: system.optional(),
  max_tokens: z.number().int().min(1),
  stream: z.boolean().optional(),
  tools: z.array(tool).optional(),
  tool_choice: toolChoice.optional(),
  thinking: thinking.optional(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  top_k: z.number().int().optional(),
  stop_sequences: z.array(z.string()).optional(),
  metadata: z.object({ user_id: z.string().nullish() }).optional(),
  output_config: outputConfig.optional(),
  context_management: contextManagement.optional(),
});

const countTokensRequest = z.object({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  system: system.optional(),
  tools: z.array(tool).optional(),
  tool_choice: toolChoice.optional(),
  thinking: thinking.optional(),
  output_config: outputConfig.optional(),
  context_management: contextManagement.optional(),
});

// Compile-time proof that the schemas produce the hand-written types callers use.
const _messagesCheck: z.ZodType<MessagesRequest> = messagesRequest;
const _countCheck: z.ZodType<CountTokensRequest> = countTokensRequest;
void _messagesCheck;
void _countCheck;

export function parseMessagesRequest(body: unknown): MessagesRequest {
  return parseWith(messagesRequest, body);
}

export function parseCountTokensRequest(body: unknown): CountTokensRequest {
  return parseWith(countTokensRequest, body);
}

export function parseWith<T>(schema: z.ZodType<T>, body: unknown): T {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new ApiError("invalid_request_error", `request body: expected a JSON object, got ${describe(body)}`);
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new ApiError("invalid_request_error", "invalid request");
  throw new ApiError("invalid_request_error", formatIssue(issue, body));
}

/** Turns one zod issue into "path: problem", saying what was found rather than zod's wording. */
function formatIssue(issue: z.core.$ZodIssue, body: unknown, prefix: readonly PropertyKey[] = []): string {
  const fullPath = [...prefix, ...issue.path];
  const found = valueAt(body, fullPath);
  const where = fullPath.length ? fullPath.map(String).join(".") : "body";
  switch (issue.code) {
    case "invalid_type":
      return `${where}: ${found === undefined ? "Field required" : `expected ${article(issue.expected)}, got ${describe(found)}`}`;
    case "invalid_value":
      return `${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, got ${describeValue(found)}`;
    case "invalid_union": {
      if ((issue as { note?: string }).note === "No matching discriminator") {
        // The message carries the union's own label, e.g. "unknown content block type".
        return found === undefined
          ? `${where}: ${issue.message.replace(/^unknown /, "missing ")}`
          : `${where}: ${issue.message} ${describeValue(found)}`;
      }
      // string | array-of-blocks: report the branch that matched the value's shape, so a bad
      // block inside an array is named instead of "expected a string".
      const deeper = issue.errors.find((branch) => branch[0] && !(branch[0].code === "invalid_type" && branch[0].path.length === 0));
      if (deeper?.[0]) return formatIssue(deeper[0], body, fullPath);
      return `${where}: expected ${unionExpectation(issue)}, got ${describe(found)}`;
    }
    case "too_small":
      return issue.origin === "string" || (issue.origin === "array" && Number(issue.minimum) === 1)
        ? `${where}: must not be empty`
        : `${where}: must be at least ${String(issue.minimum)}, got ${describeValue(found)}`;
    case "too_big":
      return `${where}: must be at most ${String(issue.maximum)}, got ${describeValue(found)}`;
    default:
      return `${where}: ${issue.message}`;
  }
}

function unionExpectation(issue: z.core.$ZodIssueInvalidUnion): string {
  const kinds = new Set<string>();
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first?.code === "invalid_type" && first.path.length === 0) kinds.add(article(first.expected));
  }
  return kinds.size ? [...kinds].join(" or ") : "a valid value";
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function article(expected: string): string {
  switch (expected) {
    case "array":
    case "object":
    case "int":
      return expected === "int" ? "an integer" : `an ${expected}`;
    case "record":
      return "an object";
    default:
      return `a ${expected}`;
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}
