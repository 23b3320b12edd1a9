/**
 * Validation of /v1/chat/completions bodies. Objects are loose: OpenAI clients send many options
 * agcp has no use for (logprobs, seed, store, metadata, ...), and refusing them would break them.
 * What agcp reads is checked strictly; the first problem becomes a 400 naming the field.
 */
import { z } from "zod";
import { parseWith } from "../../anthropic/schema.ts";

const text = z.object({ type: z.literal("text"), text: z.string() });
const imageUrl = z.object({ type: z.literal("image_url"), image_url: z.object({ url: z.string(), detail: z.string().optional() }) });
const file = z.object({
  type: z.literal("file"),
  file: z.object({ file_data: z.string().optional(), file_id: z.string().optional(), filename: z.string().optional() }),
});
const refusal = z.object({ type: z.literal("refusal"), refusal: z.string() });

const userPart = z.discriminatedUnion("type", [text, imageUrl, file], { error: () => "unknown content part type" });
const assistantPart = z.discriminatedUnion("type", [text, refusal], { error: () => "unknown content part type" });

const toolCall = z.object({
  id: z.string().min(1),
  type: z.literal("function").optional(),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

const message = z.discriminatedUnion(
  "role",
  [
    z.object({ role: z.enum(["system", "developer"]), content: z.union([z.string(), z.array(text)]) }),
    z.object({ role: z.literal("user"), content: z.union([z.string(), z.array(userPart)]) }),
    z.object({
      role: z.literal("assistant"),
      content: z.union([z.string(), z.array(assistantPart)]).nullish(),
      tool_calls: z.array(toolCall).nullish(),
      reasoning_content: z.string().nullish(),
    }),
    z.object({ role: z.literal("tool"), tool_call_id: z.string().min(1), content: z.union([z.string(), z.array(text)]) }),
  ],
  { error: () => "unknown message role" },
);

const tool = z.object({
  type: z.literal("function"),
  function: z.object({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

const toolChoice = z.union([
  z.enum(["none", "auto", "required"]),
  z.object({ type: z.literal("function"), function: z.object({ name: z.string().min(1) }) }),
]);

const responseFormat = z.discriminatedUnion(
  "type",
  [
    z.object({ type: z.literal("text") }),
    z.object({ type: z.literal("json_object") }),
    z.object({
      type: z.literal("json_schema"),
      json_schema: z.object({ name: z.string().optional(), schema: z.record(z.string(), z.unknown()).optional(), strict: z.boolean().nullish() }),
    }),
  ],
  { error: () => "unknown response_format type" },
);

const positiveInt = z.number().int().min(1);

const chatRequest = z.looseObject({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  max_tokens: positiveInt.nullish(),
  max_completion_tokens: positiveInt.nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  n: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  tools: z.array(tool).nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  response_format: responseFormat.nullish(),
  reasoning_effort: z.enum(["none", "minimal", "low", "medium", "high", "xhigh"]).nullish(),
  user: z.string().nullish(),
});

export type ChatRequest = z.infer<typeof chatRequest>;
export type ChatMessage = z.infer<typeof message>;

export function parseChatRequest(body: unknown): ChatRequest {
  return parseWith(chatRequest, body);
}
