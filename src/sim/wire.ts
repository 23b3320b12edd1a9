/** The slices of the Cloud Code request envelope the sim reads. Everything is optional: input is untrusted. */

export interface WireFunctionCall {
  name?: unknown;
  args?: unknown;
  id?: unknown;
}

export interface WireFunctionResponse {
  name?: unknown;
  response?: unknown;
  id?: unknown;
}

export interface WirePart {
  text?: unknown;
  thought?: unknown;
  thoughtSignature?: unknown;
  inlineData?: unknown;
  fileData?: unknown;
  functionCall?: WireFunctionCall;
  functionResponse?: WireFunctionResponse;
}

export interface WireContent {
  role?: unknown;
  parts?: WirePart[];
}

export interface WireSchema {
  [key: string]: unknown;
}

export interface WireFunctionDeclaration {
  name?: unknown;
  description?: unknown;
  parameters?: WireSchema;
}

export interface WireTool {
  functionDeclarations?: WireFunctionDeclaration[];
}

export interface WireThinkingConfig {
  [key: string]: unknown;
}

export interface WireGenerationConfig {
  maxOutputTokens?: unknown;
  stopSequences?: unknown;
  thinkingConfig?: WireThinkingConfig;
  [key: string]: unknown;
}

export interface WireGenerateRequest {
  contents: WireContent[];
  systemInstruction?: WireContent;
  tools?: WireTool[];
  toolConfig?: { functionCallingConfig?: { mode?: unknown; allowedFunctionNames?: unknown } };
  generationConfig?: WireGenerationConfig;
  sessionId?: unknown;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
