import { modelFamily } from "./models.ts";
import { signThought } from "./signature.ts";
import { shortHash } from "./state.ts";
import type { SimModel } from "./types.ts";
import { isRecord, type WireContent, type WireFunctionDeclaration, type WireGenerateRequest } from "./wire.ts";

/**
 * Deterministic model output: the same request always yields the same parts, so tests can
 * assert on words and the demo looks alive without any randomness.
 */

export type OutPart =
  | { text: string; thought?: true; thoughtSignature?: string }
  | { functionCall: { name: string; args: Record<string, unknown>; id: string }; thoughtSignature?: string };

export interface Generation {
  /** Parts in the order they are streamed; each is one SSE chunk. */
  chunks: OutPart[];
  finishReason: "STOP" | "MAX_TOKENS";
  promptTokens: number;
  candidatesTokens: number;
  thoughtsTokens: number;
}

const WORDS_PER_CHUNK = 4;

const CLOSING_SENTENCES = [
  "This answer comes from the agcp simulator, not a real model.",
  "The simulator answers deterministically, so the same request gets the same words.",
  "No tokens were harmed in the making of this reply.",
  "Every chunk of this reply was paced by the simulated upstream.",
];

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function generate(request: WireGenerateRequest, model: SimModel): Generation {
  const family = modelFamily(model);
  const promptTokens = estimateTokens(
    JSON.stringify([request.contents, request.systemInstruction ?? null, request.tools ?? null]),
  );
  const config = request.generationConfig ?? {};
  let budget = typeof config.maxOutputTokens === "number" ? config.maxOutputTokens : Number.POSITIVE_INFINITY;
  let finishReason: Generation["finishReason"] = "STOP";

  const lastUser = lastOf(request.contents, "user");
  // The last text part is what the user just said; earlier parts are often client reminders.
  const userText = lastTextOf(lastUser);
  // Tool results close the conversation as role "user" (legacy) or "model" (official clients).
  const toolResults = (request.contents.at(-1)?.parts ?? []).flatMap((p) => (p.functionResponse ? [p.functionResponse] : []));
  const call = toolResults.length === 0 ? chooseToolCall(request, userText) : null;

  const chunks: OutPart[] = [];
  let thoughtsTokens = 0;
  let candidatesTokens = 0;

  if (thinkingRequested(request)) {
    let thought = `Considering "${firstWords(userText, 8) || "the request"}". `;
    thought += call ? `A tool is needed, so I will call ${call.name}. ` : "A direct answer is enough here. ";
    thought += "Keep it short and deterministic.";
    const cut = cutToBudget(thought, budget);
    if (cut.truncated) finishReason = "MAX_TOKENS";
    thought = cut.text;
    budget -= estimateTokens(thought);
    thoughtsTokens = estimateTokens(thought);
    for (const piece of splitWords(thought)) chunks.push({ text: piece, thought: true });
    chunks.push({ text: "", thought: true, thoughtSignature: signThought(family, "thought", thought) });
  }

  if (finishReason === "STOP") {
    let text: string;
    if (toolResults.length > 0) {
      const first = toolResults[0];
      const name = typeof first?.name === "string" ? first.name : "tool";
      text = `Simulated ${model.id} got the ${name} result: ${summarise(first?.response)}. The tool call finished, so here is the final answer.`;
    } else if (call) {
      text = `I will call ${call.name} to help with that.`;
    } else {
      const closing = CLOSING_SENTENCES[parseInt(shortHash(userText, 4), 16) % CLOSING_SENTENCES.length];
      text = `Simulated ${model.id} reply to: ${firstWords(userText, 8) || "(no text)"}. Here is a short answer in several chunks. ${closing}`;
    }
    const stopped = cutAtStopSequence(text, config.stopSequences);
    const cut = cutToBudget(stopped.text, budget);
    text = cut.text;
    if (cut.truncated) finishReason = "MAX_TOKENS";
    budget -= estimateTokens(text);
    candidatesTokens += estimateTokens(text);
    for (const piece of splitWords(text)) chunks.push({ text: piece });

    if (call && !stopped.stopped && finishReason === "STOP") {
      const part: OutPart = { functionCall: call };
      if (family === "gemini") part.thoughtSignature = signThought("gemini", "call", call.name);
      chunks.push(part);
      candidatesTokens += estimateTokens(JSON.stringify(call));
    }
  }

  return { chunks, finishReason, promptTokens, candidatesTokens: candidatesTokens + thoughtsTokens, thoughtsTokens };
}

function thinkingRequested(request: WireGenerateRequest): boolean {
  const thinking = request.generationConfig?.thinkingConfig;
  if (!isRecord(thinking)) return false;
  return thinking.include_thoughts !== false && thinking.includeThoughts !== false;
}

function lastOf(contents: WireContent[], role: string): WireContent | undefined {
  for (let i = contents.length - 1; i >= 0; i--) if (contents[i]?.role === role) return contents[i];
  return undefined;
}

function lastTextOf(content: WireContent | undefined): string {
  const texts = (content?.parts ?? []).filter((p) => p.thought !== true && typeof p.text === "string");
  return ((texts.at(-1)?.text as string | undefined) ?? "").trim();
}

function firstWords(text: string, n: number): string {
  return text.split(/\s+/).filter(Boolean).slice(0, n).join(" ");
}

/** Pieces of a few words each, spaces kept so the pieces concatenate back to the text. */
export function splitWords(text: string): string[] {
  if (text === "") return [];
  const words = text.match(/\S+\s*/g) ?? [text];
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += WORDS_PER_CHUNK) pieces.push(words.slice(i, i + WORDS_PER_CHUNK).join(""));
  return pieces;
}

function cutToBudget(text: string, budgetTokens: number): { text: string; truncated: boolean } {
  if (estimateTokens(text) <= budgetTokens) return { text, truncated: false };
  return { text: text.slice(0, Math.max(0, budgetTokens) * 4), truncated: true };
}

function cutAtStopSequence(text: string, stops: unknown): { text: string; stopped: boolean } {
  if (!Array.isArray(stops)) return { text, stopped: false };
  let at = -1;
  for (const stop of stops) {
    if (typeof stop !== "string" || stop === "") continue;
    const index = text.indexOf(stop);
    if (index >= 0 && (at < 0 || index < at)) at = index;
  }
  return at < 0 ? { text, stopped: false } : { text: text.slice(0, at), stopped: true };
}

function summarise(response: unknown): string {
  const json = JSON.stringify(response ?? {});
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

interface ChosenCall {
  name: string;
  args: Record<string, unknown>;
  id: string;
}

/** A call happens when the tool config forces one, or the user asks to use/call a tool or names one. */
function chooseToolCall(request: WireGenerateRequest, userText: string): ChosenCall | null {
  const declarations: WireFunctionDeclaration[] = (request.tools ?? []).flatMap((t) => t.functionDeclarations ?? []);
  if (declarations.length === 0) return null;
  const calling = request.toolConfig?.functionCallingConfig;
  const mode = typeof calling?.mode === "string" ? calling.mode.toUpperCase() : "AUTO";
  if (mode === "NONE") return null;
  const allowed = Array.isArray(calling?.allowedFunctionNames)
    ? calling.allowedFunctionNames.filter((n): n is string => typeof n === "string")
    : [];
  const byName = (name: string) => declarations.find((d) => d.name === name);
  const mentioned = declarations.find((d) => typeof d.name === "string" && new RegExp(`\\b${escapeRegExp(d.name)}\\b`).test(userText));

  let chosen: WireFunctionDeclaration | undefined;
  // VALIDATED (official agent calls) lets the model choose like AUTO; upstream only checks the calls.
  if (mode === "ANY" || allowed.length > 0) {
    chosen = (allowed[0] !== undefined ? byName(allowed[0]) : undefined) ?? mentioned ?? declarations[0];
  } else if (mentioned) {
    chosen = mentioned;
  } else if (/\b(use|call|invoke|run)\b.*\btools?\b/i.test(userText)) {
    chosen = declarations[0];
  }
  if (!chosen || typeof chosen.name !== "string") return null;
  const args = synthesiseArgs(chosen.parameters);
  const id = `call_${shortHash(`${chosen.name}\n${userText}\n${request.contents.length}`, 16)}`;
  return { name: chosen.name, args: isRecord(args) ? args : {}, id };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Values for the schema's required properties only, as a model that does the minimum would. */
export function synthesiseArgs(schema: unknown): unknown {
  if (!isRecord(schema)) return {};
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const type = typeof schema.type === "string" ? schema.type.toLowerCase() : schema.properties ? "object" : "string";
  switch (type) {
    case "string":
      return "example";
    case "number":
    case "integer":
      return 1;
    case "boolean":
      return true;
    case "array":
      return schema.items === undefined ? [] : [synthesiseArgs(schema.items)];
    case "object": {
      const out: Record<string, unknown> = {};
      const properties = isRecord(schema.properties) ? schema.properties : {};
      const required = Array.isArray(schema.required) ? schema.required : [];
      for (const name of required) {
        if (typeof name === "string") out[name] = synthesiseArgs(properties[name]);
      }
      return out;
    }
    default:
      return null;
  }
}
