import type { H3, H3Event } from "h3";
import { isGeminiClient, isOpenAiClient } from "../error-shapes.ts";
import type { Runtime } from "../runtime.ts";
import { getGeminiModel, listGeminiModels } from "./gemini-api.ts";
import { getModelHandler, listModelsHandler } from "./models.ts";
import { getOpenAiModel, listOpenAiModels } from "./openai.ts";

/**
 * GET /v1/models is a path three APIs share. The client's own headers say whose list format it
 * reads (rule in error-shapes.ts, documented in the README): Gemini clients by their key header
 * or `?key=`, OpenAI clients by a bearer token without Anthropic's headers, everyone else Anthropic.
 */
export function registerModelRoutes(app: H3, rt: Runtime): void {
  const anthropicList = listModelsHandler(rt);
  const anthropicGet = getModelHandler(rt);
  const whose = (event: H3Event) => (isGeminiClient(event.url, event.req.headers) ? "gemini" : isOpenAiClient(event.req.headers) ? "openai" : "anthropic");
  app.get("/v1/models", (event) => {
    const client = whose(event);
    return client === "gemini" ? listGeminiModels(rt) : client === "openai" ? listOpenAiModels(rt) : anthropicList();
  });
  app.get("/v1/models/:id", (event) => {
    const client = whose(event);
    return client === "gemini" ? getGeminiModel(rt, event) : client === "openai" ? getOpenAiModel(rt, event) : anthropicGet(event);
  });
}
