import { GEMINI_25_MAX_THINKING_BUDGET, modelFamily } from "./models.ts";
import { claudeThinkingProblem, outputLimitProblem, toolMixProblem } from "./request-rules.ts";
import { parametersProblem } from "./schema-rules.ts";
import { SKIP_SIGNATURE_SENTINEL, signatureFamily, verifyThought } from "./signature.ts";
import type { SimModel } from "./types.ts";
import { isRecord, type WireContent, type WireGenerateRequest } from "./wire.ts";

/**
 * Checks a generate request the way upstream would, so proxy translation bugs surface as the
 * same 400s users see in the field. Returns the problem as upstream words it, or the typed request.
 */
export type Validation = { ok: true; request: WireGenerateRequest } | { ok: false; message: string };

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

const PART_DATA_KEYS = ["text", "inlineData", "fileData", "functionCall", "functionResponse"] as const;

export function validateGenerateRequest(request: unknown, model: SimModel): Validation {
  if (!isRecord(request)) return fail("Invalid JSON payload received. 'request' must be an object.");

  const cachePath = findKey(request, "cache_control", "request");
  if (cachePath) return fail(`${cachePath}: Extra inputs are not permitted`);

  const contents = request.contents;
  if (!Array.isArray(contents) || contents.length === 0) {
    return fail("* GenerateContentRequest.contents: contents is not specified");
  }
  for (const [i, content] of contents.entries()) {
    const problem = contentProblem(content, `contents[${i}]`, true);
    if (problem) return fail(problem);
  }
  if (request.systemInstruction !== undefined) {
    const problem = contentProblem(request.systemInstruction, "system_instruction", false);
    if (problem) return fail(problem);
  }

  const typed = request as unknown as WireGenerateRequest;
  const family = modelFamily(model);

  const toolProblem = toolsProblem(request.tools) ?? toolMixProblem(request.tools);
  if (toolProblem) return fail(toolProblem);

  const configProblem = generationConfigProblem(typed, model) ?? outputLimitProblem(typed, model) ?? claudeThinkingProblem(typed, model);
  if (configProblem) return fail(configProblem);

  const signatureProblem = signaturesProblem(typed.contents, model);
  if (signatureProblem) return fail(signatureProblem);

  if (family === "claude") {
    const pairing = toolPairingProblem(typed.contents);
    if (pairing) return fail(pairing);
  }
  return { ok: true, request: typed };
}

function fail(message: string): Validation {
  return { ok: false, message };
}

/** Subtrees holding user data (tool args, tool results, schema property names), not request fields. */
const OPAQUE_KEYS = new Set(["args", "response", "properties"]);

function findKey(value: unknown, key: string, path: string): string | null {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findKey(item, key, `${path}.${i}`);
      if (found) return found;
    }
  } else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === key) return `${path}.${k}`;
      if (OPAQUE_KEYS.has(k)) continue;
      const found = findKey(v, key, `${path}.${k}`);
      if (found) return found;
    }
  }
  return null;
}

function contentProblem(content: unknown, where: string, needsRole: boolean): string | null {
  if (!isRecord(content)) return `* GenerateContentRequest.${where}: must be an object`;
  if (needsRole && content.role !== "user" && content.role !== "model") {
    return `* GenerateContentRequest.${where}.role: Please use a valid role: user, model.`;
  }
  const parts = content.parts;
  if (!Array.isArray(parts) || parts.length === 0) {
    return `* GenerateContentRequest.${where}.parts: contents.parts must not be empty.`;
  }
  for (const [j, part] of parts.entries()) {
    if (!isRecord(part) || !PART_DATA_KEYS.some((k) => part[k] !== undefined)) {
      return `* GenerateContentRequest.${where}.parts[${j}].data: required oneof field 'data' must have one initialized field`;
    }
    if (part.text !== undefined && typeof part.text !== "string") {
      return `Invalid value at 'request.${where}.parts[${j}].text' (TYPE_STRING)`;
    }
    if (part.functionCall !== undefined && (!isRecord(part.functionCall) || typeof part.functionCall.name !== "string")) {
      return `* GenerateContentRequest.${where}.parts[${j}].function_call.name: Name is required.`;
    }
    if (part.functionResponse !== undefined && (!isRecord(part.functionResponse) || typeof part.functionResponse.name !== "string")) {
      return `* GenerateContentRequest.${where}.parts[${j}].function_response.name: Name is required.`;
    }
  }
  return null;
}

function toolsProblem(tools: unknown): string | null {
  if (tools === undefined) return null;
  if (!Array.isArray(tools)) return "Invalid value at 'request.tools': Proto field is repeated, expected a list.";
  for (const [i, tool] of tools.entries()) {
    if (!isRecord(tool)) return `Invalid value at 'request.tools[${i}]': expected an object.`;
    const declarations = tool.functionDeclarations;
    if (declarations === undefined) continue;
    if (!Array.isArray(declarations)) return `Invalid value at 'request.tools[${i}].function_declarations': expected a list.`;
    for (const [j, declaration] of declarations.entries()) {
      const where = `tools[${i}].function_declarations[${j}]`;
      const name = isRecord(declaration) ? declaration.name : undefined;
      if (typeof name !== "string" || !TOOL_NAME.test(name)) {
        return `* GenerateContentRequest.${where}.name: Invalid function name. Must be a-z, A-Z, 0-9, or contain underscores and dashes, with a maximum length of 64.`;
      }
      const parameters = isRecord(declaration) ? declaration.parameters : undefined;
      if (parameters !== undefined) {
        const problem = parametersProblem(parameters, where);
        if (problem) return problem;
      }
    }
  }
  return null;
}

function generationConfigProblem(request: WireGenerateRequest, model: SimModel): string | null {
  const config = request.generationConfig;
  if (config === undefined) return null;
  if (!isRecord(config)) return "Invalid value at 'request.generation_config': expected an object.";
  const max = config.maxOutputTokens;
  if (max !== undefined && (typeof max !== "number" || !Number.isInteger(max) || max < 1)) {
    return "* GenerateContentRequest.generation_config.max_output_tokens: must be a positive integer.";
  }
  const stops = config.stopSequences;
  if (stops !== undefined && (!Array.isArray(stops) || stops.some((s) => typeof s !== "string"))) {
    return "Invalid value at 'request.generation_config.stop_sequences': expected a list of strings.";
  }
  const thinking = config.thinkingConfig;
  if (thinking === undefined) return null;
  if (!isRecord(thinking)) return "Invalid value at 'request.generation_config.thinking_config': expected an object.";

  if (modelFamily(model) === "claude") return claudeThinkingConfigProblem(thinking, max);
  const budget = thinking.thinkingBudget ?? thinking.thinking_budget;
  if (budget !== undefined && (typeof budget !== "number" || !Number.isInteger(budget) || budget < -1)) {
    return "Invalid value at 'request.generation_config.thinking_config.thinking_budget' (TYPE_INT32)";
  }
  if (typeof budget === "number" && model.id.startsWith("gemini-2.5") && budget > GEMINI_25_MAX_THINKING_BUDGET) {
    return `The thinking budget ${budget} is invalid. Please choose a value between 0 and ${GEMINI_25_MAX_THINKING_BUDGET}.`;
  }
  return null;
}

const THINKING_LEVELS = new Set(["LOW", "MEDIUM", "HIGH", "MINIMAL"]);

/**
 * Claude's thinking config, in either spelling (upstream is proto-JSON: include_thoughts /
 * includeThoughts). A budget must be an integer of at least 1024 (Anthropic's floor) below
 * maxOutputTokens; a `thinkingLevel` (Claude 5.5) comes with budget 0 and is one of the proto's levels.
 */
function claudeThinkingConfigProblem(thinking: Record<string, unknown>, max: unknown): string | null {
  const level = thinking.thinkingLevel ?? thinking.thinking_level;
  if (level !== undefined && (typeof level !== "string" || !THINKING_LEVELS.has(level))) {
    return `Invalid value at 'request.generation_config.thinking_config.thinking_level' (type.googleapis.com/google.cloud.aiplatform.master.GenerationConfig.ThinkingConfig.ThinkingLevel), ${JSON.stringify(level)}`;
  }
  const budget = thinking.thinkingBudget ?? thinking.thinking_budget;
  if (budget === undefined || (budget === 0 && level !== undefined)) return null;
  if (typeof budget !== "number" || !Number.isInteger(budget) || budget < 0) {
    return "thinking.budget_tokens: Input should be a valid non-negative integer";
  }
  if (budget < 1024) return "thinking.budget_tokens: Input should be greater than or equal to 1024";
  if (typeof max !== "number" || max <= budget) {
    return "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size";
  }
  return null;
}

/**
 * Thought parts must carry a signature this sim issued for the same model family. Gemini 3 also
 * needs the signature of the first function call of each model step in the current turn.
 */
function signaturesProblem(contents: WireContent[], model: SimModel): string | null {
  const family = modelFamily(model);
  const currentTurnStart = lastUserTextIndex(contents) + 1;
  for (const [i, content] of contents.entries()) {
    if (content.role !== "model") continue;
    let firstCallSeen = false;
    for (const [j, part] of (content.parts ?? []).entries()) {
      if (part.thought === true) {
        const text = typeof part.text === "string" ? part.text : "";
        if (!verifyThought(family, "thought", text, part.thoughtSignature)) {
          return `messages.${i}.content.${j}: Invalid signature in thinking block`;
        }
        continue;
      }
      if (family !== "gemini" || !part.functionCall) continue;
      const signature = part.thoughtSignature;
      const name = typeof part.functionCall.name === "string" ? part.functionCall.name : "";
      if (signature !== undefined && signature !== SKIP_SIGNATURE_SENTINEL) {
        if (signatureFamily(signature) !== "gemini" || !verifyThought("gemini", "call", name, signature)) {
          return `Corrupted thought signature. (contents[${i}].parts[${j}])`;
        }
      }
      const first = !firstCallSeen;
      firstCallSeen = true;
      if (first && signature === undefined && i >= currentTurnStart && needsCallSignatures(model)) {
        return `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly. Additional data, function call \`default_api:${name}\`, position ${i + 1}.`;
      }
    }
  }
  return null;
}

/** Gemini 3 and later (including unversioned agent ids such as gemini-pro-agent); not 1.x/2.x, not gpt-oss. */
function needsCallSignatures(model: SimModel): boolean {
  const id = model.id.toLowerCase();
  return id.startsWith("gemini") && !/^gemini-[12](\.|-)/.test(id);
}

function lastUserTextIndex(contents: WireContent[]): number {
  for (let i = contents.length - 1; i >= 0; i--) {
    const content = contents[i];
    if (content?.role === "user" && (content.parts ?? []).some((p) => typeof p.text === "string")) return i;
  }
  return -1;
}

/** Claude needs every tool call answered by a result in the very next message. */
function toolPairingProblem(contents: WireContent[]): string | null {
  for (let i = 0; i < contents.length - 1; i++) {
    const content = contents[i];
    if (content?.role !== "model") continue;
    const calls = (content.parts ?? []).flatMap((p) => (p.functionCall ? [p.functionCall] : []));
    if (calls.length === 0) continue;
    // Results come back as role "user" (legacy) or "model" (official clients since mid-2026).
    const next = contents[i + 1];
    const responses = (next?.parts ?? []).flatMap((p) => (p.functionResponse ? [p.functionResponse] : []));
    const missing = calls.filter((call) =>
      call.id !== undefined ? !responses.some((r) => r.id === call.id) : !responses.some((r) => r.name === call.name),
    );
    if (missing.length > 0) {
      const ids = missing.map((c) => String(c.id ?? c.name)).join(", ");
      return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${ids}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    }
  }
  return null;
}

export { lastUserTextIndex };
