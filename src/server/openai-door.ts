/**
 * The door request both OpenAI APIs (Chat Completions, Responses) hand the relay: their messages,
 * already in Anthropic's form, take the same one conversion to Cloud Code as /v1/messages, with
 * JSON mode laid on top.
 */
import type { H3Event } from "h3";
import type { MessagesRequest } from "../anthropic/types.ts";
import type { ResolvedModel } from "../google/models.ts";
import { toCloudCodeRequest } from "../google/request.ts";
import { deriveSessionId } from "../google/session.ts";
import { applyJsonMode, type JsonMode } from "../openai/common.ts";
import { callerOf } from "./auth.ts";
import { conversionOptions } from "./conversion-options.ts";
import type { DoorRequest } from "./door-relay.ts";
import type { ApiName } from "./relay.ts";
import type { Runtime } from "./runtime.ts";

export function openAiDoor(
  rt: Runtime,
  event: H3Event,
  input: {
    api: ApiName;
    requestedModel: string;
    model: ResolvedModel;
    messages: MessagesRequest;
    jsonMode: JsonMode | undefined;
    receivedAt: number;
  },
): DoorRequest {
  const { messages, jsonMode } = input;
  const sessionId = deriveSessionId(messages);
  return {
    api: input.api,
    requestedModel: input.requestedModel,
    model: input.model,
    sessionId,
    receivedAt: input.receivedAt,
    caller: callerOf(event),
    prepare: ({ model: target, projectId, thinkingInfo }) =>
      applyJsonMode(
        toCloudCodeRequest(messages, {
          upstreamModel: target.upstream,
          projectId,
          sessionId,
          signatures: rt.signatures,
          ...conversionOptions(rt, target.upstream),
          ...(thinkingInfo && { thinkingInfo }),
        }),
        jsonMode,
        target.family,
      ),
  };
}
