/**
 * `POST /v1internal:countTokens`, as Cloud Code answers it (cloudcode-protocol.md, "Token counting"):
 * the body has one top-level key, `request`; `model` or `project` beside it is a 400 "Unknown name",
 * and so is `safetySettings` (or any other key the proto lacks) inside it. The answer is
 * `{"totalTokens": N}`. Counting costs no quota and takes no rate-limit slot. Injected faults
 * (latency, server error, capacity) apply as they do to generate calls.
 *
 * The count is deterministic and exported, so a test can compute what the simulator will answer
 * for content it saw (agcp itself must learn the number over HTTP, never by importing this).
 */
import { takeFault } from "./faults.ts";
import { authenticate, countRequest, invalidJson, readJson, sleep, type SimContext } from "./http.ts";
import { rpcError } from "./rpc-error.ts";
import { isRecord } from "./wire.ts";

/** Keys the proto's inner request knows; anything else is "Unknown name". */
const INNER_KEYS = new Set(["contents", "tools", "systemInstruction", "generationConfig", "model"]);

/**
 * Tokens in a countTokens inner request: one per four characters of the JSON of its contents,
 * system instruction and tools (the same rule the simulator's generate uses for promptTokenCount,
 * so a count and the usage of the generate that follows agree), and at least 1.
 */
export function simCountTokens(request: { contents?: unknown; systemInstruction?: unknown; tools?: unknown }): number {
  const json = JSON.stringify([request.contents ?? [], request.systemInstruction ?? null, request.tools ?? null]);
  return Math.max(1, Math.ceil(json.length / 4));
}

export async function handleCountTokens(ctx: SimContext): Promise<Response> {
  const auth = authenticate(ctx);
  if ("response" in auth) return auth.response;
  const { account } = auth;
  countRequest(account, "countTokens");

  const parsed = await readJson(ctx.req);
  if (!parsed.ok) {
    account.counters.badRequests++;
    return invalidJson();
  }
  const body = parsed.value;
  account.counters.lastRequestBody = body;
  const problem = validate(body);
  if (problem) {
    account.counters.badRequests++;
    return rpcError("INVALID_ARGUMENT", problem);
  }
  // Injected faults reach counts too, so a client's fallback for a failing count can be tested.
  const fault = takeFault(ctx.state, account);
  await sleep(fault.latencyMs ?? 0, ctx.req.signal);
  if (fault.serverError) {
    account.counters.serverErrors++;
    return rpcError("INTERNAL", "Internal error encountered.");
  }
  if (fault.capacity) {
    account.counters.serverErrors++;
    return rpcError("UNAVAILABLE", "No capacity available for the token counter. Please try again later.");
  }
  const request = (body as { request: Record<string, unknown> }).request;
  return Response.json({ totalTokens: simCountTokens(request) });
}

function validate(body: unknown): string | undefined {
  if (!isRecord(body)) return "Invalid JSON payload received. Expected an object.";
  for (const key of Object.keys(body)) {
    if (key !== "request") return `Invalid JSON payload received. Unknown name "${key}": Cannot find field.`;
  }
  const request = body.request;
  if (!isRecord(request)) return "Invalid JSON payload received. request: expected an object.";
  for (const key of Object.keys(request)) {
    if (!INNER_KEYS.has(key)) return `Invalid JSON payload received. Unknown name "${key}" at 'request': Cannot find field.`;
  }
  if (!Array.isArray(request.contents) || request.contents.length === 0) return "request.contents: must not be empty.";
  for (const [i, content] of request.contents.entries()) {
    if (!isRecord(content) || !Array.isArray(content.parts) || content.parts.length === 0) {
      return `request.contents[${i}].parts: must not be empty.`;
    }
  }
  return undefined;
}
