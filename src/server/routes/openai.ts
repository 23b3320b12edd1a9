import { getRouterParam, type H3, type H3Event } from "h3";
import { openAiDoor } from "../openai-door.ts";
import { ApiError } from "../../anthropic/errors.ts";
import type { ContentBlock, MessagesRequest } from "../../anthropic/types.ts";
import { toImageGenRequest } from "../../google/image-request.ts";
import { ChunkMerger } from "../../google/merge-chunks.ts";
import type { ResolvedModel } from "../../google/models.ts";
import { deriveSessionId } from "../../google/session.ts";
import type { GooglePart } from "../../google/types.ts";
import { chatToMessages } from "../../openai/chat/request.ts";
import { createChatEncoder, toChatCompletion } from "../../openai/chat/response.ts";
import { parseChatRequest, type ChatRequest } from "../../openai/chat/schema.ts";
import { reId, unixNow } from "../../openai/common.ts";
import { OPENAI_SSE } from "../../openai/errors.ts";
import { imageInput, imagesOf, imagesTranslator, parseImagesRequest, textOf } from "../../openai/images.ts";
import { translationContext, viaAnthropicEvents } from "../../openai/via-anthropic.ts";
import { callerOf } from "../auth.ts";
import { readJsonBody } from "../body.ts";
import type { CatalogModel } from "../catalog.ts";
import { answerJson, answerStream, type DoorRequest, type DoorTranslator } from "../door-relay.ts";
import { isImageModelId, resolveImageModel } from "../image-model.ts";
import { withEffortTier } from "../effort-tier.ts";
import type { Runtime } from "../runtime.ts";
import { responsesHandler } from "./openai-responses.ts";

/** The OpenAI-compatible door: chat completions, responses, image generation and the models list. */
export function registerOpenAiRoutes(app: H3, rt: Runtime): void {
  app.post("/v1/chat/completions", chatCompletionsHandler(rt));
  app.post("/v1/responses", responsesHandler(rt));
  app.post("/v1/images/generations", imagesHandler(rt));
}

export function listOpenAiModels(rt: Runtime) {
  return { object: "list", data: rt.catalog.list().map(openAiModel) };
}

export function getOpenAiModel(rt: Runtime, event: H3Event) {
  const id = getRouterParam(event, "id", { decode: true }) ?? "";
  const found = rt.catalog.list().find((m) => m.id === id);
  if (!found) throw new ApiError("not_found_error", `The model '${id}' does not exist`);
  return openAiModel(found);
}

const openAiModel = (m: CatalogModel) => ({ id: m.id, object: "model", created: 0, owned_by: "agcp" });

function chatCompletionsHandler(rt: Runtime) {
  return async (event: H3Event): Promise<Response> => {
    const receivedAt = performance.now();
    const req = parseChatRequest(await readJsonBody(event, rt.config.bodyLimit));
    const { messages, jsonMode } = chatToMessages(req);
    await rt.quota.whenReady();
    const model = withEffortTier(rt, messages, rt.catalog.resolve(req.model));
    const signal = event.req.signal;
    if (isImageModelId(rt, model.upstream)) return chatImage(rt, event, req, messages, model, receivedAt);

    const door = openAiDoor(rt, event, { api: "openai-chat", requestedModel: req.model, model, messages, jsonMode, receivedAt });
    if (req.stream) {
      const includeUsage = req.stream_options?.include_usage === true;
      return answerStream(rt, door, signal, OPENAI_SSE, (opened) =>
        viaAnthropicEvents(translationContext(rt, req.model, opened), { stream: true, encoder: createChatEncoder(req.model, includeUsage) }),
      );
    }
    return answerJson(rt, door, signal, (opened) =>
      viaAnthropicEvents(translationContext(rt, req.model, opened), { stream: false, toBody: (m) => toChatCompletion(m, req.model) }),
    );
  };
}

/**
 * A chat completion on an image model: the last user turn is the prompt, and the pictures come
 * back inside the message as Markdown data-URL images, the form chat UIs render.
 */
function chatImage(rt: Runtime, event: H3Event, req: ChatRequest, messages: MessagesRequest, model: ResolvedModel, receivedAt: number) {
  const signal = event.req.signal;
  const last = [...messages.messages].reverse().find((m) => m.role === "user");
  const parts = last ? promptParts(last.content) : [];
  if (!parts.length) throw new ApiError("invalid_request_error", "messages: the last user message must carry a prompt for the image model");
  const door: DoorRequest = {
    api: "openai-chat",
    requestedModel: req.model,
    model,
    sessionId: deriveSessionId(messages),
    receivedAt,
    caller: callerOf(event),
    prepare: ({ model: target, projectId }) => toImageGenRequest({ parts, modalities: ["TEXT", "IMAGE"] }, { upstreamModel: target.upstream, projectId }),
  };
  const id = reId(`msg_${crypto.randomUUID().replaceAll("-", "")}`, "chatcmpl-");
  const translate = (stream: boolean): DoorTranslator<unknown> => {
    const merger = new ChunkMerger();
    const content = () => {
      const response = merger.result();
      const text = textOf(response.candidates?.[0]?.content?.parts ?? []);
      const pictures = imagesOf(response).map((img, i) => `![image ${i + 1}](data:${img.mimeType};base64,${img.data})`);
      return [text, ...pictures].filter(Boolean).join("\n\n");
    };
    const usage = () => {
      const u = merger.usageMetadata;
      const prompt = u?.promptTokenCount ?? 0;
      const completion = u?.candidatesTokenCount ?? 0;
      return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: 0 } };
    };
    const created = unixNow();
    return {
      start: () => "",
      push: (chunk) => {
        merger.push(chunk);
        return "";
      },
      finish: () => {
        if (!stream) return "";
        const line = (choices: unknown[], extra: Record<string, unknown> = {}) =>
          `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: req.model, choices, ...extra })}\n\n`;
        let out = line([{ index: 0, delta: { role: "assistant", content: content() }, finish_reason: null }]);
        out += line([{ index: 0, delta: {}, finish_reason: "stop" }]);
        if (req.stream_options?.include_usage) out += line([], { usage: usage() });
        return `${out}data: [DONE]\n\n`;
      },
      result: () => ({
        id,
        object: "chat.completion",
        created,
        model: req.model,
        choices: [{ index: 0, message: { role: "assistant", content: content(), refusal: null }, finish_reason: "stop", logprobs: null }],
        usage: usage(),
      }),
      get hasContent() {
        return merger.hasContent;
      },
      get complete() {
        return merger.complete;
      },
      get usage() {
        const u = merger.usageMetadata;
        return u ? { input: u.promptTokenCount ?? 0, output: u.candidatesTokenCount ?? 0, cacheRead: 0 } : undefined;
      },
    };
  };
  return req.stream ? answerStream(rt, door, signal, OPENAI_SSE, () => translate(true)) : answerJson(rt, door, signal, () => translate(false));
}

function promptParts(content: string | ContentBlock[]): GooglePart[] {
  if (typeof content === "string") return content.trim() ? [{ text: content }] : [];
  const parts: GooglePart[] = [];
  for (const b of content) {
    if (b.type === "text" && b.text.trim()) parts.push({ text: b.text });
    else if (b.type === "image" && b.source.type === "base64") parts.push({ inlineData: { mimeType: b.source.media_type, data: b.source.data } });
    else if (b.type === "image" && b.source.type === "url") parts.push({ fileData: { fileUri: b.source.url, mimeType: "image/png" } });
  }
  return parts;
}

function imagesHandler(rt: Runtime) {
  return async (event: H3Event): Promise<Response> => {
    const receivedAt = performance.now();
    const req = parseImagesRequest(await readJsonBody(event, rt.config.bodyLimit));
    const input = imageInput(req);
    await rt.quota.whenReady();
    const model = resolveImageModel(rt, req.model);
    const door: DoorRequest = {
      api: "openai-images",
      requestedModel: req.model ?? model.upstream,
      model,
      // Pictures are independent calls: affinity would only pin them all to one account.
      sessionId: crypto.randomUUID(),
      receivedAt,
      caller: callerOf(event),
      prepare: ({ model: target, projectId }) => toImageGenRequest(input, { upstreamModel: target.upstream, projectId }),
    };
    return answerJson(rt, door, event.req.signal, () => imagesTranslator(req));
  };
}
