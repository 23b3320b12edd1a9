/**
 * Validation of /v1/responses bodies (OpenAI's Responses API, what Codex speaks). Loose like the
 * chat schema: options agcp does not use are accepted and ignored; what it reads is checked.
 */
import { z } from "zod";
import { parseWith } from "../../anthropic/schema.ts";

const inputText = z.object({ type: z.literal("input_text"), text: z.string() });
const outputText = z.looseObject({ type: z.literal("output_text"), text: z.string() });
const inputImage = z.looseObject({ type: z.literal("input_image"), image_url: z.string().nullish(), file_id: z.string().nullish() });
const inputFile = z.looseObject({ type: z.literal("input_file"), file_data: z.string().nullish(), file_id: z.string().nullish(), filename: z.string().nullish() });
const refusal = z.object({ type: z.literal("refusal"), refusal: z.string() });

const contentPart = z.discriminatedUnion("type", [inputText, outputText, inputImage, inputFile, refusal], {
  error: () => "unknown content part type",
});

const messageItem = z.looseObject({
  type: z.literal("message").optional(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([z.string(), z.array(contentPart)]),
});

const functionCallItem = z.looseObject({
  type: z.literal("function_call"),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
});

const functionCallOutputItem = z.looseObject({
  type: z.literal("function_call_output"),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(contentPart)]),
});

const reasoningItem = z.looseObject({
  type: z.literal("reasoning"),
  summary: z.array(z.looseObject({ text: z.string() })).optional(),
  encrypted_content: z.string().nullish(),
});

const inputItem = z.union([messageItem, functionCallItem, functionCallOutputItem, reasoningItem], {
  error: () => "unsupported input item (agcp accepts messages, function_call, function_call_output and reasoning items)",
});

const tool = z.looseObject({
  type: z.string(),
  name: z.string().min(1).optional(),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
});

const toolChoice = z.union([
  z.enum(["none", "auto", "required"]),
  z.looseObject({ type: z.literal("function"), name: z.string().min(1) }),
]);

const textFormat = z.discriminatedUnion(
  "type",
  [
    z.object({ type: z.literal("text") }),
    z.object({ type: z.literal("json_object") }),
    z.looseObject({ type: z.literal("json_schema"), name: z.string().optional(), schema: z.record(z.string(), z.unknown()).optional() }),
  ],
  { error: () => "unknown text.format type" },
);

const responsesRequest = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(inputItem).min(1)]),
  instructions: z.string().nullish(),
  stream: z.boolean().nullish(),
  max_output_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  tools: z.array(tool).nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  reasoning: z.looseObject({ effort: z.enum(["none", "minimal", "low", "medium", "high", "xhigh"]).nullish() }).nullish(),
  text: z.looseObject({ format: textFormat.nullish() }).nullish(),
  previous_response_id: z.string().nullish(),
  store: z.boolean().nullish(),
  include: z.array(z.string()).nullish(),
  user: z.string().nullish(),
});

export type ResponsesRequest = z.infer<typeof responsesRequest>;
export type ResponsesContentPart = z.infer<typeof contentPart>;

export function parseResponsesRequest(body: unknown): ResponsesRequest {
  return parseWith(responsesRequest, body);
}
