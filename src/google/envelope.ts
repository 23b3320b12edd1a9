/**
 * The envelope fields where the official Antigravity clients and the public peers disagree, each
 * a switch (config `upstream.envelope`). The defaults follow the official captures of late 2026
 * (agy 1.2.0, IDE 2.1.1/2.5.5); "legacy" is what agcp and most peers sent before. README
 * "Requests upstream accepts" says what each choice risks.
 */
import type { GoogleContent, ModelFamily } from "./types.ts";

export interface EnvelopeOptions {
  /** `agent/<uuid>/<epochMs>/<trajectoryUuid>/<N>` (official) or `agent-<uuid>` (legacy). */
  requestId: "official" | "legacy";
  /** A negative int64 as a string, stable per conversation (official), or the conversation uuid (legacy). */
  sessionId: "official" | "legacy";
  /** `request.labels` with the trajectory, step and model flags, as the official clients send them. */
  labels: boolean;
  /** When the client lets the model choose: `VALIDATED` (official) or `AUTO` / no tool config (legacy). */
  toolMode: "validated" | "auto";
  /** One `functionDeclarations` entry per tool (official) or all tools in one entry (legacy). */
  toolDeclarations: "per-tool" | "single";
  /** Tool results as role "model" with `{output: "<text>"}` (official) or role "user" with `{result}` / `{error}` (legacy). */
  toolResults: "official" | "legacy";
  /** Send `functionCall.id` / `functionResponse.id` on Gemini models too (official captures do). */
  geminiCallIds: boolean;
  /** The system prompt as one text part (official) or one part per system block (legacy). */
  systemParts: "single" | "per-block";
  /** Prepend the short Antigravity identity to the system instruction, as some peers do (official clients send their own long prompt). */
  systemIdentity: "none" | "prepend";
  systemIdentityText: string;
}

export const DEFAULT_ENVELOPE: EnvelopeOptions = {
  requestId: "official",
  sessionId: "official",
  labels: true,
  toolMode: "validated",
  toolDeclarations: "per-tool",
  toolResults: "official",
  geminiCallIds: true,
  systemParts: "single",
  systemIdentity: "none",
  systemIdentityText:
    "You are Antigravity, a powerful agentic AI coding assistant designed by the Google Deepmind team working on Advanced Agentic Coding.",
};

/** What agcp sent before the switches existed (and what most peers still send). */
export const LEGACY_ENVELOPE: EnvelopeOptions = {
  ...DEFAULT_ENVELOPE,
  requestId: "legacy",
  sessionId: "legacy",
  labels: false,
  toolMode: "auto",
  toolDeclarations: "single",
  toolResults: "legacy",
  systemParts: "per-block",
};

/**
 * The session id upstream sees for a conversation. Official clients send a negative int64 as a
 * string ("-3750763034362895579"); this one is derived from the conversation id, so every turn
 * of a conversation (and every agcp instance) sends the same value.
 */
export function upstreamSessionId(conversationId: string, form: EnvelopeOptions["sessionId"]): string {
  if (form === "legacy") return conversationId;
  return derived(`agcp-session-id\0${conversationId}`, (hex) => {
    const magnitude = BigInt(`0x${hex.slice(0, 16)}`) & 0x7fff_ffff_ffff_ffffn;
    return `-${magnitude === 0n ? 1n : magnitude}`;
  });
}

/** A uuid-shaped id derived from the conversation, for the trajectory and agent parts of the request id. */
export function conversationUuid(conversationId: string, purpose: "trajectory" | "agent"): string {
  return derived(`agcp-${purpose}\0${conversationId}`, (hex) => {
    const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  });
}

/**
 * Ids derived from a conversation, remembered: every turn of a conversation asks for the same four
 * (session, agent, trajectory twice), each a sha256. Bounded; forgotten wholesale when full.
 */
const DERIVED_MAX = 4096;
const derivedIds = new Map<string, string>();
function derived(input: string, shape: (hex: string) => string): string {
  let id = derivedIds.get(input);
  if (id === undefined) {
    if (derivedIds.size >= DERIVED_MAX) derivedIds.clear();
    id = shape(Bun.CryptoHasher.hash("sha256", input, "hex"));
    derivedIds.set(input, id);
  }
  return id;
}

export interface RequestIdInput {
  conversationId: string;
  /** Epoch ms of this request. */
  now: number;
  /** `contents.length` of the request. */
  steps: number;
}

export function upstreamRequestId(form: EnvelopeOptions["requestId"], input: RequestIdInput): string {
  if (form === "legacy") return `agent-${crypto.randomUUID()}`;
  const agent = conversationUuid(input.conversationId, "agent");
  const trajectory = conversationUuid(input.conversationId, "trajectory");
  return `agent/${agent}/${input.now}/${trajectory}/${input.steps}`;
}

/**
 * `request.labels` as agy sends them: `last_step_index` = N−1, `request_id` =
 * `<trajectory>-<model turns>`, the `used_*` flags for the model of this request (agcp keeps no
 * trajectory across requests, so a conversation that switched family reports the current one),
 * and `model_enum` when the account's catalog named it.
 */
export function upstreamLabels(input: {
  conversationId: string;
  contents: readonly GoogleContent[];
  family: ModelFamily;
  model: string;
  modelEnum?: string;
}): Record<string, string> {
  const trajectory = conversationUuid(input.conversationId, "trajectory");
  const modelTurns = input.contents.filter((c) => c.role === "model").length;
  const claude = input.family === "claude";
  const nonGemini = !input.model.toLowerCase().startsWith("gemini");
  const labels: Record<string, string> = {
    last_step_index: String(Math.max(0, input.contents.length - 1)),
    request_id: `${trajectory}-${modelTurns}`,
    trajectory_id: trajectory,
    used_claude: String(claude),
    used_claude_conservative: String(claude),
    used_non_gemini_model: String(nonGemini),
  };
  if (input.modelEnum) labels.model_enum = input.modelEnum;
  return labels;
}
