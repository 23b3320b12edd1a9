/**
 * The late-2026 model lineup as `fetchAvailableModels` reports it (cloudcode-protocol.md, "Model
 * lineup" and "fetchAvailableModels"): reasoning tier in the id, Gemini 3.8 / 3.7 Flash tiers,
 * Gemini 3.1 Pro as `gemini-pro-agent` / `gemini-3.1-pro-low`, Claude 5.5 tiers (per-account
 * entitlement) beside Claude 4.6, `gpt-oss-120b-medium`, and the non-agent helpers (web search,
 * image generation, command, tiered runtime). Values follow the captures; enums are placeholders in
 * upstream's own style. Everything here is data a test or `SimOptions` can replace.
 */
import type { SimCatalogInfo, SimModel } from "./types.ts";

const GEMINI_FLASH_LIMITS = { maxTokens: 1_048_576, maxOutputTokens: 65_536 };
const GEMINI_PRO_LIMITS = { maxTokens: 1_048_576, maxOutputTokens: 65_535 };
const CLAUDE_46_LIMITS = { maxTokens: 250_000, maxOutputTokens: 64_000 };
/** `claude-opus-5-5-high`: 1M context / 128k output [X-CPA55]. */
const CLAUDE_55_LIMITS = { maxTokens: 1_000_000, maxOutputTokens: 128_000 };

const TIERS = [
  ["high", "High", -1, "HIGH"],
  ["medium", "Medium", 4000, "MEDIUM"],
  ["low", "Low", 1000, "LOW"],
] as const;

function geminiFlash(version: string, enumBase: number, newer: boolean): SimModel[] {
  return TIERS.map(([tier, label, budget], i) => ({
    id: `gemini-${version}-flash-${tier}`,
    displayName: `Gemini ${version} Flash (${label})`,
    maxOutputTokens: GEMINI_FLASH_LIMITS.maxOutputTokens,
    agent: true,
    ...(newer && { newer: true }),
    details: {
      model: `MODEL_PLACEHOLDER_M${enumBase + i}`,
      apiProvider: "API_PROVIDER_GOOGLE_GEMINI",
      modelProvider: "MODEL_PROVIDER_GOOGLE",
      supportsImages: true,
      supportsVideo: true,
      supportsThinking: true,
      thinkingBudget: budget,
      ...(tier === "high" && { recommended: true }),
      ...GEMINI_FLASH_LIMITS,
    },
  }));
}

function claude55(kind: "opus" | "sonnet", enumBase: number): SimModel[] {
  const name = kind === "opus" ? "Opus" : "Sonnet";
  return TIERS.map(([tier, label, , level], i) => ({
    id: `claude-${kind}-5-5-${tier}`,
    displayName: `Claude ${name} 5.5 (${label})`,
    maxOutputTokens: CLAUDE_55_LIMITS.maxOutputTokens,
    agent: true,
    newer: true,
    details: {
      model: `MODEL_PLACEHOLDER_M${enumBase + i}`,
      apiProvider: "API_PROVIDER_ANTHROPIC_VERTEX",
      modelProvider: "MODEL_PROVIDER_ANTHROPIC",
      vertexModelId: `claude-${kind}-5-5`,
      supportsImages: true,
      supportsThinking: true,
      thinkingBudget: 0,
      thinkingLevel: level,
      ...CLAUDE_55_LIMITS,
    },
  }));
}

export const LATE_2026_MODELS: readonly SimModel[] = Object.freeze([
  ...geminiFlash("3.8", 320, true),
  ...geminiFlash("3.7", 298, false),
  {
    id: "gemini-pro-agent",
    displayName: "Gemini 3.1 Pro (High)",
    maxOutputTokens: GEMINI_PRO_LIMITS.maxOutputTokens,
    agent: true,
    details: {
      model: "MODEL_PLACEHOLDER_M16",
      apiProvider: "API_PROVIDER_GOOGLE_GEMINI",
      modelProvider: "MODEL_PROVIDER_GOOGLE",
      supportsImages: true,
      supportsThinking: true,
      thinkingBudget: 10001,
      ...GEMINI_PRO_LIMITS,
    },
  },
  {
    id: "gemini-3.1-pro-low",
    displayName: "Gemini 3.1 Pro (Low)",
    maxOutputTokens: GEMINI_PRO_LIMITS.maxOutputTokens,
    agent: true,
    details: {
      model: "MODEL_PLACEHOLDER_M36",
      apiProvider: "API_PROVIDER_GOOGLE_GEMINI",
      modelProvider: "MODEL_PROVIDER_GOOGLE",
      supportsImages: true,
      supportsThinking: true,
      thinkingBudget: 1001,
      ...GEMINI_PRO_LIMITS,
    },
  },
  ...claude55("opus", 340),
  ...claude55("sonnet", 350),
  {
    id: "claude-opus-4-6-thinking",
    displayName: "Claude Opus 4.6 (Thinking)",
    maxOutputTokens: CLAUDE_46_LIMITS.maxOutputTokens,
    agent: true,
    details: {
      model: "MODEL_PLACEHOLDER_M26",
      apiProvider: "API_PROVIDER_ANTHROPIC_VERTEX",
      modelProvider: "MODEL_PROVIDER_ANTHROPIC",
      vertexModelId: "claude-opus-4-6",
      supportsImages: true,
      supportsThinking: true,
      thinkingBudget: 1024,
      ...CLAUDE_46_LIMITS,
    },
  },
  {
    // Displayed "(Thinking)" although the id does not say so [X-FAM].
    id: "claude-sonnet-4-6",
    displayName: "Claude Sonnet 4.6 (Thinking)",
    maxOutputTokens: CLAUDE_46_LIMITS.maxOutputTokens,
    agent: true,
    details: {
      model: "MODEL_PLACEHOLDER_M35",
      apiProvider: "API_PROVIDER_ANTHROPIC_VERTEX",
      modelProvider: "MODEL_PROVIDER_ANTHROPIC",
      vertexModelId: "claude-sonnet-4-6",
      supportsImages: true,
      supportsThinking: true,
      thinkingBudget: 1024,
      ...CLAUDE_46_LIMITS,
    },
  },
  {
    // A thinking budget but no supportsThinking [X-FAM].
    id: "gpt-oss-120b-medium",
    displayName: "GPT-OSS 120B (Medium)",
    maxOutputTokens: 32_768,
    agent: true,
    details: {
      model: "MODEL_OPENAI_GPT_OSS_120B_MEDIUM",
      apiProvider: "API_PROVIDER_OPENAI_VERTEX",
      modelProvider: "MODEL_PROVIDER_OPENAI",
      vertexModelId: "gpt-oss-120b-maas",
      thinkingBudget: 8192,
      maxTokens: 131_072,
      maxOutputTokens: 32_768,
    },
  },
  // Non-agent ids: helpers the official client calls by role, not selectable in the model picker.
  {
    id: "gemini-3.1-flash-lite",
    displayName: "Gemini 3.1 Flash Lite",
    details: { model: "MODEL_PLACEHOLDER_M50", apiProvider: "API_PROVIDER_GOOGLE_GEMINI", modelProvider: "MODEL_PROVIDER_GOOGLE" },
  },
  {
    id: "gemini-3.1-flash-image",
    displayName: "Gemini 3.1 Flash Image",
    details: { model: "MODEL_PLACEHOLDER_M51", apiProvider: "API_PROVIDER_GOOGLE_GEMINI", modelProvider: "MODEL_PROVIDER_GOOGLE", supportsImages: true },
  },
  {
    id: "gemini-3-flash",
    displayName: "Gemini 3 Flash",
    maxOutputTokens: GEMINI_FLASH_LIMITS.maxOutputTokens,
    details: {
      model: "MODEL_PLACEHOLDER_M18",
      apiProvider: "API_PROVIDER_GOOGLE_GEMINI",
      modelProvider: "MODEL_PROVIDER_GOOGLE",
      supportsImages: true,
      supportsThinking: true,
      thinkingBudget: -1,
      ...GEMINI_FLASH_LIMITS,
    },
  },
  {
    id: "gemini-3.8-flash-tiered",
    displayName: "Gemini 3.8 Flash",
    maxOutputTokens: GEMINI_FLASH_LIMITS.maxOutputTokens,
    newer: true,
    details: {
      model: "MODEL_PLACEHOLDER_M323",
      apiProvider: "API_PROVIDER_GOOGLE_GEMINI",
      modelProvider: "MODEL_PROVIDER_GOOGLE",
      supportsThinking: true,
      thinkingLevel: "HIGH",
      ...GEMINI_FLASH_LIMITS,
    },
  },
  {
    id: "gemini-2.5-flash",
    displayName: "Gemini 2.5 Flash",
    maxOutputTokens: GEMINI_FLASH_LIMITS.maxOutputTokens,
    details: { model: "MODEL_GOOGLE_GEMINI_2_5_FLASH", apiProvider: "API_PROVIDER_GOOGLE_GEMINI", modelProvider: "MODEL_PROVIDER_GOOGLE" },
  },
]);

/** Ids that exist only on entitled accounts ("Claude 5.5 gated per account entitlement" [X-CPA55]). */
export const CLAUDE_55_IDS: readonly string[] = LATE_2026_MODELS.filter((m) => /^claude-(opus|sonnet)-5-5-/.test(m.id)).map((m) => m.id);

function deprecated(oldId: string, newId: string, oldEnum: string): [string, { newModelId: string; oldModelEnum: string; newModelEnum: string }] {
  const target = LATE_2026_MODELS.find((m) => m.id === newId);
  const newModelEnum = String(target?.details?.model ?? "MODEL_UNSPECIFIED");
  return [oldId, { newModelId: newId, oldModelEnum: oldEnum, newModelEnum }];
}

export const LATE_2026_CATALOG: SimCatalogInfo = {
  defaultAgentModelId: "gemini-3.8-flash-high",
  webSearchModelIds: ["gemini-3.1-flash-lite"],
  imageGenerationModelIds: ["gemini-3.1-flash-image"],
  commandModelIds: ["gemini-3-flash"],
  mqueryModelIds: ["gemini-3.1-flash-lite"],
  commitMessageModelIds: ["gemini-3.1-flash-lite"],
  tieredModelIds: { flashLite: ["gemini-3.1-flash-lite"], flash: ["gemini-3.8-flash-tiered"], pro: ["gemini-3.1-pro-low"] },
  // Upstream names the successor of every id it retired; clients move by themselves.
  deprecatedModelIds: Object.fromEntries([
    deprecated("gemini-3.1-pro-high", "gemini-pro-agent", "MODEL_PLACEHOLDER_M37"),
    deprecated("claude-sonnet-4-6-thinking", "claude-sonnet-4-6", "MODEL_PLACEHOLDER_M34"),
    deprecated("claude-opus-4-5-thinking", "claude-opus-4-6-thinking", "MODEL_PLACEHOLDER_M12"),
    deprecated("claude-sonnet-4-5", "claude-sonnet-4-6", "MODEL_CLAUDE_4_5_SONNET"),
    deprecated("claude-sonnet-4-5-thinking", "claude-sonnet-4-6", "MODEL_CLAUDE_4_5_SONNET_THINKING"),
    deprecated("gemini-3-pro-high", "gemini-pro-agent", "MODEL_PLACEHOLDER_M7"),
    deprecated("gemini-3-pro-low", "gemini-3.1-pro-low", "MODEL_PLACEHOLDER_M8"),
    deprecated("gemini-3.5-flash-extra-low", "gemini-3.7-flash-low", "MODEL_PLACEHOLDER_M60"),
    deprecated("gemini-3.5-flash-low", "gemini-3.7-flash-medium", "MODEL_PLACEHOLDER_M61"),
    deprecated("gemini-3-flash-agent", "gemini-3.7-flash-high", "MODEL_PLACEHOLDER_M62"),
    deprecated("gemini-3.6-flash-high", "gemini-3.7-flash-high", "MODEL_PLACEHOLDER_M290"),
    deprecated("gemini-3.6-flash-medium", "gemini-3.7-flash-medium", "MODEL_PLACEHOLDER_M291"),
    deprecated("gemini-3.6-flash-low", "gemini-3.7-flash-low", "MODEL_PLACEHOLDER_M292"),
  ]),
  agentModelGroups: [
    { displayName: "Recommended", filter: (m) => m.agent === true && m.id.startsWith("gemini-3.8") },
    { displayName: "Gemini", filter: (m) => m.agent === true && m.id.startsWith("gemini") && !m.id.startsWith("gemini-3.8") },
    { displayName: "Claude", filter: (m) => m.agent === true && m.id.startsWith("claude") },
    { displayName: "Other", filter: (m) => m.agent === true && !m.id.startsWith("gemini") && !m.id.startsWith("claude") },
  ],
};
