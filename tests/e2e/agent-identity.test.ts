/**
 * `claude -p` mapped to a Gemini 3.8 Flash model: its system prompt opens with the Agent SDK
 * identity sentence, which upstream answers with a bare 429. agcp rewrites the sentence (default),
 * and with the rewrite off it answers a clear 400 without cooling any account.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { APIError } from "@anthropic-ai/sdk";
import { DEFAULT_SIM_MODELS } from "../../src/sim/index.ts";
import { AGENT_SDK_IDENTITY_SENTENCE, CLAUDE_CODE_CLI_IDENTITY } from "../../src/upstream/agent-identity.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { fullAccounts, generatesByAccount, simAccounts } from "./helpers.ts";

const FLASH = "gemini-3.8-flash-low";
const models = DEFAULT_SIM_MODELS.some((m) => m.id === FLASH) ? [...DEFAULT_SIM_MODELS] : [...DEFAULT_SIM_MODELS, { id: FLASH, displayName: "Gemini 3.8 Flash (Low)" }];

function sdkRequest(model: string) {
  return {
    model,
    max_tokens: 300,
    system: [
      { type: "text" as const, text: "x-anthropic-billing-header: cc_version=2.1.204;" },
      { type: "text" as const, text: `${AGENT_SDK_IDENTITY_SENTENCE}\nYou help with software tasks.` },
    ],
    messages: [{ role: "user" as const, content: "Say hi" }],
  };
}

async function lastSystemText(stack: Stack): Promise<string> {
  const sent = (await simAccounts(stack)).map((a) => a.counters.lastGenerateBody).filter(Boolean);
  return sent.map((b) => JSON.stringify(b.request.systemInstruction)).join("\n");
}

describe("rewrite on (the default)", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ accounts: fullAccounts(2), sim: { models }, config: { models: { exact: { "claude-haiku-4-5": FLASH } } } });
  });
  afterAll(() => stack.close());

  test("a Gemini 3.8 Flash request with the sentence succeeds, sent with the CLI identity instead", async () => {
    const message = await stack.client.messages.create(sdkRequest("claude-haiku-4-5"));
    expect(message.content.some((b) => b.type === "text" && b.text.length > 0)).toBe(true);
    const system = await lastSystemText(stack);
    expect(system).not.toContain(AGENT_SDK_IDENTITY_SENTENCE);
    expect(system).toContain(CLAUDE_CODE_CLI_IDENTITY);
    expect(system).toContain("You help with software tasks.");
  });

  test("count_tokens counts the rewritten prompt, so the count matches what is sent", async () => {
    const { response } = await stack.client.messages.countTokens(sdkRequest("claude-haiku-4-5")).withResponse();
    expect(response.headers.get("x-agcp-token-count")).toBe("upstream");
    const bodies = (await simAccounts(stack)).map((a) => JSON.stringify(a.counters.lastRequestBody));
    const counted = bodies.find((b) => b.includes("You help with software tasks."))!;
    expect(counted).toContain(CLAUDE_CODE_CLI_IDENTITY);
    expect(counted).not.toContain(AGENT_SDK_IDENTITY_SENTENCE);
  });

  test("Claude models get the sentence untouched", async () => {
    await stack.client.messages.create(sdkRequest("claude-sonnet-4-5"));
    expect(await lastSystemText(stack)).toContain(AGENT_SDK_IDENTITY_SENTENCE);
  });
});

describe("rewrite off", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      accounts: fullAccounts(3),
      sim: { models },
      config: { models: { exact: { "claude-haiku-4-5": FLASH } }, agentSdkIdentity: { rewrite: "off" } },
    });
  });
  afterAll(() => stack.close());

  test("upstream's bare 429 becomes a 400 that names the sentence; no account is cooled or retried", async () => {
    const error = await stack.client.messages.create(sdkRequest("claude-haiku-4-5")).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(APIError);
    const apiError = error as APIError;
    expect(apiError.status).toBe(400);
    expect(apiError.message).toContain("Claude Agent SDK identity sentence");
    expect(stack.agcp.runtime.pool.counts().available).toBe(3);
    const generates = Object.values(await generatesByAccount(stack)).reduce((a, b) => a + b, 0);
    expect(generates).toBe(1);
  });
});
