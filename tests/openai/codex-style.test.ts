// Issue 12: a Codex-style client on /v1/responses — stateless (store: false), streaming, a shell
// function tool, reasoning items with encrypted_content sent back, the whole history in `input` each
// turn — runs a tool loop to the end, reading the SSE events the way Codex does.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/stack.ts";
import { fullAccounts, simAccounts } from "../e2e/helpers.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ accounts: fullAccounts(2, "codex") });
});
afterAll(() => stack?.close());

const SHELL_TOOL = {
  type: "function",
  name: "shell",
  description: "Runs a shell command and returns its output.",
  strict: false,
  parameters: {
    type: "object",
    properties: { command: { type: "array", items: { type: "string" } }, workdir: { type: "string" }, timeout_ms: { type: "number" } },
    required: ["command"],
    additionalProperties: false,
  },
};

/** One Codex turn: POST, then the SSE events until response.completed, keeping the finished items. */
async function turn(model: string, input: unknown[]): Promise<{ items: any[]; completed: any; account: string | null }> {
  const res = await fetch(`${stack.url}/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer codex", originator: "codex_cli_rs" },
    body: JSON.stringify({
      model,
      instructions: "You are a coding agent running in the Codex CLI.",
      input,
      tools: [SHELL_TOOL],
      tool_choice: "auto",
      parallel_tool_calls: false,
      reasoning: { effort: "medium", summary: "auto" },
      store: false,
      stream: true,
      include: ["reasoning.encrypted_content"],
      prompt_cache_key: "0198f7c2-codex-session",
    }),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  const items: any[] = [];
  let completed: any;
  for (const block of (await res.text()).split("\n\n")) {
    const event = /^event: (.*)$/m.exec(block)?.[1];
    const data = /^data: (.*)$/m.exec(block)?.[1];
    if (!event || !data) continue;
    const payload = JSON.parse(data);
    expect(payload.type).toBe(event);
    if (event === "response.output_item.done") items.push(payload.item);
    if (event === "response.completed") completed = payload.response;
  }
  expect(completed).toBeDefined();
  return { items, completed, account: res.headers.get("x-agcp-account") };
}

for (const model of ["claude-opus-4-6-thinking", "gemini-3-flash"]) {
  test(`${model}: a shell tool loop over stateless turns ends in a final answer`, async () => {
    const history: unknown[] = [{ type: "message", role: "user", content: [{ type: "input_text", text: "Use shell to list the files" }] }];
    const first = await turn(model, history);
    expect(first.completed.usage.input_tokens).toBeGreaterThan(0);
    const call = first.items.find((i) => i.type === "function_call");
    expect(call?.name).toBe("shell");
    expect(Array.isArray(JSON.parse(call.arguments).command)).toBe(true);
    const reasoning = first.items.find((i) => i.type === "reasoning");
    expect(typeof reasoning?.encrypted_content).toBe("string");

    history.push(...first.items, { type: "function_call_output", call_id: call.call_id, output: "README.md\nsrc\n" });
    const second = await turn(model, history);
    const message = second.items.find((i) => i.type === "message");
    expect(message.content[0].text).toContain("README.md");
    expect(second.items.some((i) => i.type === "function_call")).toBe(false);

    // Upstream saw the call paired with its result, and (for Gemini) the call's own thought signature.
    const body = (await simAccounts(stack)).find((a) => a.email === second.account)!.counters.lastGenerateBody;
    const parts = body.request.contents.flatMap((c: any) => c.parts);
    const sent = parts.find((p: any) => p.functionCall);
    expect(sent.functionCall.name).toBe("shell");
    expect(typeof sent.thoughtSignature === "string" || parts.some((p: any) => p.thought === true)).toBe(true);
    expect(parts.find((p: any) => p.functionResponse)?.functionResponse.name).toBe("shell");
  });
}
