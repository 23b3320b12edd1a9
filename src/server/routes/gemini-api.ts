import type { H3, H3Event } from "h3";
import { ApiError } from "../../anthropic/errors.ts";
import { estimateTextTokens } from "../../anthropic/count-tokens.ts";
import { GEMINI_SSE } from "../../gemini-api/errors.ts";
import { conversationText, parseCountTokensRequest, parseGenerateRequest, toGoogleRequest, wrap, type GeminiGenerateRequest } from "../../gemini-api/request.ts";
import type { ResolvedModel } from "../../google/models.ts";
import { geminiTranslator } from "../../gemini-api/response.ts";
import { deriveSessionId } from "../../google/session.ts";
import { callerOf } from "../auth.ts";
import { readJsonBody } from "../body.ts";
import type { CatalogModel } from "../catalog.ts";
import { answerJson, answerStream, type DoorRequest } from "../door-relay.ts";
import type { Runtime } from "../runtime.ts";
import { TOKEN_COUNT_HEADER } from "./count-tokens.ts";

const METHODS = ["generateContent", "streamGenerateContent", "countTokens"] as const;
type Method = (typeof METHODS)[number];

/**
 * The Gemini API door, for the Gemini SDKs and tools built on them: `/v1beta`, and the colon
 * methods under `/v1` too (@google/genai now defaults to v1). GET /v1/models is shared with the
 * other APIs and dispatched in routes/models-by-client.ts.
 */
export function registerGeminiRoutes(app: H3, rt: Runtime): void {
  app.get("/v1beta/models", () => listGeminiModels(rt));
  app.get("/v1beta/models/:id", (event) => getGeminiModel(rt, event));
  app.post("/v1beta/models/:call", (event) => call(rt, event));
  app.post("/v1/models/:call", (event) => call(rt, event));
}

export function listGeminiModels(rt: Runtime) {
  return { models: rt.catalog.list().map(geminiModel) };
}

export function getGeminiModel(rt: Runtime, event: H3Event) {
  const id = modelInPath(event);
  const found = rt.catalog.list().find((m) => m.id === id);
  if (!found) throw new ApiError("not_found_error", `models/${id} is not found.`);
  return geminiModel(found);
}

/** What follows `/models/` in the path: `gemini-3-flash` or `gemini-3-flash:generateContent`. */
function modelInPath(event: H3Event): string {
  const path = event.url.pathname;
  return decodeURIComponent(path.slice(path.indexOf("/models/") + "/models/".length));
}

// `models/{model}:method` is one path segment; the router cannot split it, so the handler does.
function call(rt: Runtime, event: H3Event) {
  const path = modelInPath(event);
  const colon = path.lastIndexOf(":");
  const method = path.slice(colon + 1) as Method;
  if (colon <= 0 || !METHODS.includes(method)) {
    throw new ApiError("not_found_error", `Unknown method: POST ${event.url.pathname}; use :generateContent, :streamGenerateContent or :countTokens.`);
  }
  const model = path.slice(0, colon);
  if (method === "countTokens") return countTokens(rt, event, model);
  return generate(rt, event, model, method === "streamGenerateContent");
}

const geminiModel = (m: CatalogModel) => ({
  name: `models/${m.id}`,
  baseModelId: m.id,
  version: "agcp",
  displayName: m.displayName,
  supportedGenerationMethods: ["generateContent", "streamGenerateContent", "countTokens"],
});

async function generate(rt: Runtime, event: H3Event, requested: string, streaming: boolean): Promise<Response> {
  const receivedAt = performance.now();
  const req = parseGenerateRequest(await readJsonBody(event, rt.config.bodyLimit));
  await rt.quota.whenReady();
  const model = rt.catalog.resolve(requested);
  const { system, firstUser } = conversationText(req);
  const sessionId = deriveSessionId({ system, messages: [{ role: "user", content: firstUser }] });
  const request = toGoogleRequest(req, sessionId, model.family);
  const door: DoorRequest = {
    api: "gemini",
    requestedModel: requested,
    model,
    sessionId,
    receivedAt,
    caller: callerOf(event),
    // A fallback to the other family would need the other thinking spelling: rebuild for it.
    prepare: ({ model: target, projectId }) =>
      wrap(target.family === model.family ? request : toGoogleRequest(req, sessionId, target.family), { upstreamModel: target.upstream, projectId }),
  };
  const signal = event.req.signal;
  if (!streaming) return answerJson(rt, door, signal, () => geminiTranslator("json"));
  // Without alt=sse the Gemini API streams a JSON array; clients that ask for it get it whole.
  if (event.url.searchParams.get("alt") !== "sse") return answerJson(rt, door, signal, () => geminiTranslator("json-array"));
  return answerStream(rt, door, signal, GEMINI_SSE, () => geminiTranslator("sse"));
}

/**
 * Upstream's exact count (countTokens: one call through the account the conversation would use,
 * not charged as a generation), like Anthropic's count_tokens; the local estimate when upstream
 * cannot answer or `tokenCount.upstream` is off, so it works with every account limited too.
 */
async function countTokens(rt: Runtime, event: H3Event, requested: string) {
  const req = parseCountTokensRequest(await readJsonBody(event, rt.config.bodyLimit));
  await rt.quota.whenReady();
  const model = rt.catalog.resolve(requested);
  const exact = rt.config.tokenCount.upstream ? await upstreamCount(rt, req, model, event.req.signal) : undefined;
  return Response.json({ totalTokens: exact ?? estimate(req) }, { headers: { [TOKEN_COUNT_HEADER]: exact === undefined ? "estimate" : "upstream" } });
}

async function upstreamCount(rt: Runtime, req: GeminiGenerateRequest, model: ResolvedModel, clientSignal: AbortSignal): Promise<number | undefined> {
  const { system, firstUser } = conversationText(req);
  const sessionId = deriveSessionId({ system, messages: [{ role: "user", content: firstUser }] });
  const inner = toGoogleRequest(req, sessionId, model.family);
  // countTokens takes only these keys ("Unknown name" otherwise).
  const body = { contents: inner.contents, ...(inner.systemInstruction && { systemInstruction: inner.systemInstruction }), ...(inner.tools && { tools: inner.tools }) };
  const selection = rt.pool.select(model.upstream, { sessionId });
  if (!selection.ok) return undefined;
  const credentials = rt.credentials.get(selection.accountId);
  if (!credentials) return undefined;
  try {
    return await rt.upstream.countTokens(credentials, body, { signal: AbortSignal.any([clientSignal, AbortSignal.timeout(rt.config.tokenCount.timeoutMs)]) });
  } catch (err) {
    rt.log.info(`[count] upstream countTokens did not answer (${(err as Error).message}); answering the estimate`);
    return undefined;
  }
}

/** The local estimate: the same counter as Anthropic's count_tokens, 258 tokens per image (Gemini's figure). */
function estimate(req: GeminiGenerateRequest): number {
  let text = "";
  let media = 0;
  const walk = (parts: ReadonlyArray<Record<string, unknown>>) => {
    for (const p of parts) {
      if (typeof p.text === "string") text += `${p.text}\n`;
      else if (p.inlineData || p.fileData) media++;
      else text += `${JSON.stringify(p)}\n`;
    }
  };
  for (const c of req.contents) walk(c.parts);
  const system = req.systemInstruction;
  if (typeof system === "string") text += system;
  else if (system) walk(system.parts);
  if (req.tools) text += JSON.stringify(req.tools);
  return estimateTextTokens(text) + media * 258;
}
