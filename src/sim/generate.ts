import { modelFamily } from "./models.ts";
import { signThought } from "./signature.ts";
import { shortHash } from "./state.ts";
import type { SimModel } from "./types.ts";
import { lastInstructionIndex, planCalls, resultText } from "./answers.ts";
import { describeImage, imageInfo } from "./image-info.ts";
import { isRecord, type WireContent, type WireGenerateRequest } from "./wire.ts";

/**
 * Deterministic model output: the same request always yields the same parts, so tests can
 * assert on words and the demo looks alive without any randomness.
 */

export type OutPart =
  | { text: string; thought?: true; thoughtSignature?: string }
  | { functionCall: { name: string; args: Record<string, unknown>; id: string }; thoughtSignature?: string }
  | { inlineData: { mimeType: string; data: string } };

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

  // The task is the last user turn with words of its own; later turns only carry tool results.
  const instructionAt = lastInstructionIndex(request.contents);
  const instruction = instructionAt >= 0 ? request.contents[instructionAt] : undefined;
  // The last text part is what the user just said; earlier parts are often client reminders.
  const userText = lastTextOf(instruction);
  // Tool results come back as role "user" (legacy) or as a "model" turn of their own (official clients).
  const lastUser = [...request.contents].reverse().find((c) => c.role === "user" || (c.parts ?? []).some((p) => p.functionResponse));
  const results = (lastUser?.parts ?? []).filter((p) => p.functionResponse);
  const plan = planCalls(request, userText);
  const calls = plan.calls;
  const thinking = thinkingRequested(request);
  // Claude thinking models think again before each call of a batch; Gemini thinks once per turn.
  const interleave = thinking && family === "claude" && calls.length > 1;

  const chunks: OutPart[] = [];
  let thoughtsTokens = 0;
  let candidatesTokens = 0;
  /** Signature of the thought just emitted; per the sheet it rides the next non-thought part. */
  let pendingSignature: string | undefined;

  const think = (thought: string): boolean => {
    const cut = cutToBudget(thought, budget);
    if (cut.truncated) finishReason = "MAX_TOKENS";
    budget -= estimateTokens(cut.text);
    thoughtsTokens += estimateTokens(cut.text);
    for (const piece of splitWords(cut.text)) chunks.push({ text: piece, thought: true });
    pendingSignature = cut.text ? signThought(family, "thought", cut.text) : undefined;
    return !cut.truncated;
  };

  if (thinking) {
    let thought = `Considering "${firstWords(userText, 8) || "the request"}". `;
    if (results.length > 0) thought += `The ${results.length === 1 ? "tool result is" : `${results.length} tool results are`} in. `;
    if (calls.length > 0) thought += `Step ${plan.step} of ${plan.steps}: I will call ${calls.map((c) => c.name).join(", ")}. `;
    else thought += "A direct answer is enough here. ";
    thought += "Keep it short and deterministic.";
    if (interleave) thought = `${thought} First ${calls[0]!.name}.`;
    think(thought);
  }

  if (finishReason === "STOP") {
    let text: string;
    if (calls.length > 0) {
      const names = [...new Set(calls.map((c) => c.name))].join(" and ");
      text = plan.step > 1 ? `Step ${plan.step - 1} is done; next I will call ${names}.` : `I will call ${names} to help with that.`;
    } else if (results.length > 0) {
      const first = results[0]?.functionResponse;
      const names = [...new Set(results.map((p) => (typeof p.functionResponse?.name === "string" ? p.functionResponse.name : "tool")))];
      const said = results.map((p) => excerpt(resultText(p))).join(" | ");
      const name = typeof first?.name === "string" ? first.name : "tool";
      text = `Simulated ${model.id} got the ${names.length === 1 ? name : names.join(", ")} result${results.length > 1 ? "s" : ""}: ${said}. The tool call finished, so here is the final answer.`;
    } else {
      const closing = CLOSING_SENTENCES[parseInt(shortHash(userText, 4), 16) % CLOSING_SENTENCES.length];
      text = `Simulated ${model.id} reply to: ${firstWords(userText, 8) || "(no text)"}. Here is a short answer in several chunks. ${closing}`;
      const seen = imagesIn(instruction);
      if (seen.length > 0) text += ` I see ${seen.join(" and ")}.`;
    }
    const stopped = cutAtStopSequence(text, config.stopSequences);
    const cut = cutToBudget(stopped.text, budget);
    text = cut.text;
    if (cut.truncated) finishReason = "MAX_TOKENS";
    budget -= estimateTokens(text);
    candidatesTokens += estimateTokens(text);
    for (const piece of splitWords(text)) {
      const part: OutPart = { text: piece };
      if (pendingSignature) part.thoughtSignature = pendingSignature;
      pendingSignature = undefined;
      chunks.push(part);
    }

    if (calls.length > 0 && !stopped.stopped && finishReason === "STOP") {
      for (const [i, call] of calls.entries()) {
        if (interleave && i > 0) think(`Next, ${call.name} with ${JSON.stringify(call.args).slice(0, 60)}.`);
        const part: OutPart = { functionCall: call };
        // Claude: the thought's signature rides the call. Gemini: only the first call of a batch is signed.
        if (pendingSignature) part.thoughtSignature = pendingSignature;
        else if (family === "gemini" && i === 0) part.thoughtSignature = signThought("gemini", "call", call.name);
        pendingSignature = undefined;
        chunks.push(part);
        candidatesTokens += estimateTokens(JSON.stringify(call));
      }
    }
  }
  // Gemini ends a thinking turn with an empty text part that carries the signature again.
  if (thinking && family === "gemini" && finishReason === "STOP") {
    const thoughtText = chunks.filter((c) => "text" in c && c.thought).map((c) => ("text" in c ? c.text : "")).join("");
    if (thoughtText) chunks.push({ text: "", thoughtSignature: signThought("gemini", "thought", thoughtText) });
  }

  return { chunks, finishReason, promptTokens, candidatesTokens: candidatesTokens + thoughtsTokens, thoughtsTokens };
}

function excerpt(text: string): string {
  return text.length > 160 ? `${text.slice(0, 157)}...` : text || "(empty)";
}

function imagesIn(content: WireContent | undefined): string[] {
  const out: string[] = [];
  for (const part of content?.parts ?? []) {
    const data = part.inlineData;
    if (!isRecord(data) || typeof data.mimeType !== "string" || typeof data.data !== "string") continue;
    if (!data.mimeType.startsWith("image/")) continue;
    out.push(describeImage(imageInfo(data.mimeType, data.data)));
  }
  return out;
}

function thinkingRequested(request: WireGenerateRequest): boolean {
  const thinking = request.generationConfig?.thinkingConfig;
  if (!isRecord(thinking)) return false;
  return thinking.include_thoughts !== false && thinking.includeThoughts !== false;
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

