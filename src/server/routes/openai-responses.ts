import type { H3Event } from "h3";
import { openAiDoor } from "../openai-door.ts";
import { OPENAI_SSE } from "../../openai/errors.ts";
import { responsesToMessages } from "../../openai/responses/request.ts";
import { createResponsesEncoder, toResponse } from "../../openai/responses/response.ts";
import { parseResponsesRequest } from "../../openai/responses/schema.ts";
import { translationContext, viaAnthropicEvents } from "../../openai/via-anthropic.ts";
import { readJsonBody } from "../body.ts";
import { answerJson, answerStream } from "../door-relay.ts";
import { withEffortTier } from "../effort-tier.ts";
import type { Runtime } from "../runtime.ts";

/** POST /v1/responses: OpenAI's Responses API (Codex and newer OpenAI SDK code). Stateless: no stored responses. */
export function responsesHandler(rt: Runtime) {
  return async (event: H3Event): Promise<Response> => {
    const receivedAt = performance.now();
    const req = parseResponsesRequest(await readJsonBody(event, rt.config.bodyLimit));
    const { messages, jsonMode } = responsesToMessages(req);
    await rt.quota.whenReady();
    const model = withEffortTier(rt, messages, rt.catalog.resolve(req.model));
    const door = openAiDoor(rt, event, { api: "openai-responses", requestedModel: req.model, model, messages, jsonMode, receivedAt });
    const signal = event.req.signal;
    if (req.stream) {
      return answerStream(rt, door, signal, OPENAI_SSE, (opened) =>
        viaAnthropicEvents(translationContext(rt, req.model, opened), { stream: true, encoder: createResponsesEncoder(req) }),
      );
    }
    return answerJson(rt, door, signal, (opened) =>
      viaAnthropicEvents(translationContext(rt, req.model, opened), { stream: false, toBody: (m) => toResponse(m, req) }),
    );
  };
}
