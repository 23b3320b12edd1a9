/**
 * The Cloud Code (Antigravity) envelope and the Gemini-shaped payload inside it, as far as agcp
 * reads or writes it. See shared/reference/cloudcode-protocol.md.
 */

export interface GoogleFunctionCall {
  name: string;
  args?: Record<string, unknown>;
  id?: string;
}

export interface GoogleFunctionResponse {
  name: string;
  response: Record<string, unknown>;
  id?: string;
}

/** One part; exactly one of text / inlineData / fileData / functionCall / functionResponse is set. */
export interface GooglePart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  inlineData?: { mimeType: string; data: string };
  fileData?: { fileUri: string; mimeType: string };
  functionCall?: GoogleFunctionCall;
  functionResponse?: GoogleFunctionResponse;
}

export interface GoogleContent {
  role: "user" | "model";
  parts: GooglePart[];
}

export interface GoogleFunctionDeclaration {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
}

export interface GoogleToolConfig {
  /** VALIDATED is what the official clients send for agent calls (the model chooses, upstream checks the call). */
  functionCallingConfig: { mode: "AUTO" | "ANY" | "NONE" | "VALIDATED"; allowedFunctionNames?: string[] };
}

export type GoogleThinkingConfig =
  | { include_thoughts: boolean; thinking_budget: number }
  | { includeThoughts: boolean; thinkingBudget: number; thinkingLevel?: string };

export interface GoogleGenerationConfig {
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences?: string[];
  thinkingConfig?: GoogleThinkingConfig;
  /** JSON mode (OpenAI `response_format`, Gemini API clients). */
  responseMimeType?: string;
  responseSchema?: Record<string, unknown>;
  /** Image generation: `["IMAGE"]` or `["TEXT", "IMAGE"]`, and the picture's shape. */
  responseModalities?: string[];
  imageConfig?: { aspectRatio?: string; imageSize?: string };
  candidateCount?: number;
}

export interface GoogleRequest {
  contents: GoogleContent[];
  systemInstruction?: { role: "user"; parts: Array<{ text: string }> };
  /** Function declarations, or (web_search calls only: upstream refuses the mix) Google Search. */
  tools?: Array<{ functionDeclarations: GoogleFunctionDeclaration[] } | { googleSearch: GoogleSearchTool }>;
  toolConfig?: GoogleToolConfig;
  generationConfig: GoogleGenerationConfig;
  /** Trajectory/step/model flags (official clients since mid-2026). */
  labels?: Record<string, string>;
  /** Conversations carry one; web_search calls do not. */
  sessionId?: string;
}

/** Proto `GoogleSearch` as Cloud Code takes it (the fields agcp sets). */
export interface GoogleSearchTool {
  enhancedContent?: { imageSearch?: { maxResultCount?: number } };
  includedDomains?: string[];
  excludeDomains?: string[];
}

export interface CloudCodeEnvelope {
  project: string;
  model: string;
  /**
   * `agent` for conversations; `image_gen` for the image model (see src/openai/images.ts);
   * `web_search` for Google Search grounding (src/anthropic/web-search.ts), sent without requestId.
   */
  requestType: "agent" | "image_gen" | "web_search";
  userAgent: "antigravity";
  requestId?: string;
  request: GoogleRequest;
}

export interface GoogleUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
  totalTokenCount?: number;
}

export interface GoogleCandidate {
  content?: { role?: string; parts?: GooglePart[] };
  finishReason?: string;
  index?: number;
  /** Google Search grounding (web_search calls): what was searched, the results, what they support. */
  groundingMetadata?: GoogleGroundingMetadata;
}

export interface GoogleGroundingMetadata {
  webSearchQueries?: string[];
  groundingChunks?: Array<{ web?: { uri?: string; title?: string; domain?: string } }>;
  /** Segment indices count UTF-8 bytes of the answer text; `startIndex` 0 may be left out (proto default). */
  groundingSupports?: Array<{
    segment?: { startIndex?: number; endIndex?: number; text?: string };
    groundingChunkIndices?: number[];
  }>;
}

/** The inner `response` object: a Gemini GenerateContentResponse. */
export interface CloudCodeResponse {
  candidates?: GoogleCandidate[];
  usageMetadata?: GoogleUsageMetadata;
  modelVersion?: string;
  responseId?: string;
}

/** One SSE `data:` payload (and the body of a non-streaming answer): the response plus a trace id. */
export interface CloudCodeChunk {
  response?: CloudCodeResponse;
  traceId?: string;
}

export type ModelFamily = "claude" | "gemini";
