// The simulator's agent-like answers: the tool that fits the prompt, parallel batches, multi-step
// tasks, interleaved thinking with signatures per family, and images it "sees".
import { beforeAll, describe, expect, test } from "bun:test";
import { parseTask } from "../../src/sim/answers.ts";
import { ACCOUNT, envelope, parseSse, partsOf, startSim, textOf, userText, type Harness, type SseFrame } from "./helpers.ts";
import { TINY_PNG } from "../e2e/helpers.ts";

let h: Harness;
let token: string;

beforeAll(async () => {
  h = await startSim({ accounts: [ACCOUNT] });
  token = await h.token(ACCOUNT.refreshToken);
});

async function stream(model: string, request: Record<string, unknown>): Promise<SseFrame[]> {
  const res = await h.call("streamGenerateContent", envelope("proj-a", model, request), token, "?alt=sse");
  const body = await res.text();
  if (res.status !== 200) throw new Error(`sim answered ${res.status}: ${body}`);
  return parseSse(body);
}

type Call = { name: string; args: Record<string, unknown>; id: string };

function callsOf(frames: SseFrame[]): Call[] {
  return partsOf(frames).flatMap((p) => (p.functionCall ? [p.functionCall as Call] : []));
}

/** Claude Code's tool names and the parts of their schemas that matter here. */
const STRING = { type: "string" };
const CODE_TOOLS = {
  functionDeclarations: [
    { name: "Agent", description: "Launch a new agent", parameters: { type: "object", properties: { prompt: STRING }, required: ["prompt"] } },
    { name: "Bash", description: "Executes a given bash command", parameters: { type: "object", properties: { command: STRING, timeout: { type: "number" }, description: STRING }, required: ["command"] } },
    { name: "Glob", description: "Fast file pattern matching", parameters: { type: "object", properties: { pattern: STRING, path: STRING }, required: ["pattern"] } },
    { name: "Grep", description: "Search file contents", parameters: { type: "object", properties: { pattern: STRING }, required: ["pattern"] } },
    { name: "Read", description: "Reads a file from the local filesystem.", parameters: { type: "object", properties: { file_path: { type: "string", description: "The absolute path to the file to read" }, offset: { type: "integer" }, limit: { type: "integer" } }, required: ["file_path"] } },
    { name: "WebSearch", description: "Search the web", parameters: { type: "object", properties: { query: STRING }, required: ["query"] } },
    { name: "Write", description: "Writes a file", parameters: { type: "object", properties: { file_path: STRING, content: STRING }, required: ["file_path", "content"] } },
  ],
};
const SYSTEM = { role: "user", parts: [{ text: "You are an agent.\nPrimary working directory: /home/dev/project\nPlatform: linux" }] };

function result(call: Call, output: string) {
  return { functionResponse: { name: call.name, id: call.id, response: { output } } };
}

describe("the tool that fits the prompt", () => {
  test("'Run ls -la' calls the shell tool with that command, without naming the tool", async () => {
    const frames = await stream("claude-sonnet-4-6", { contents: [userText("Run ls -la")], tools: [CODE_TOOLS], systemInstruction: SYSTEM });
    expect(callsOf(frames).map((c) => [c.name, c.args.command])).toEqual([["Bash", "ls -la"]]);
  });

  test("'read config.js' calls the read tool with an absolute path in the working directory", async () => {
    const frames = await stream("claude-sonnet-4-6", { contents: [userText("read config.js")], tools: [CODE_TOOLS], systemInstruction: SYSTEM });
    expect(callsOf(frames).map((c) => [c.name, c.args])).toEqual([["Read", { file_path: "/home/dev/project/config.js" }]]);
    const absolute = await stream("claude-sonnet-4-6", { contents: [userText("What is in /etc/hosts?")], tools: [CODE_TOOLS] });
    expect(callsOf(absolute)[0]?.args.file_path).toBe("/etc/hosts");
  });

  test("a web question goes to the web search tool; chat calls nothing", async () => {
    const web = await stream("claude-sonnet-4-6", { contents: [userText("Search the web for bun 2 release notes")], tools: [CODE_TOOLS] });
    expect(callsOf(web).map((c) => [c.name, c.args.query])).toEqual([["WebSearch", "bun 2 release notes"]]);
    const chat = await stream("claude-sonnet-4-6", { contents: [userText("How are you today?")], tools: [CODE_TOOLS] });
    expect(callsOf(chat)).toEqual([]);
  });

  test("the same prompt always gets the same call", async () => {
    const request = { contents: [userText("Run git status")], tools: [CODE_TOOLS] };
    expect(callsOf(await stream("gemini-3-flash", request))).toEqual(callsOf(await stream("gemini-3-flash", request)));
  });

  test("the task parser splits steps and parallel parts", () => {
    expect(parseTask("read a.js and b.js then run npm test").map((s) => s.map((i) => i.kind))).toEqual([["read", "read"], ["shell"]]);
    expect(parseTask("Run ls, and read notes.md").map((s) => s.map((i) => i.kind))).toEqual([["shell", "read"]]);
  });
});

describe("parallel calls and multi-step tasks", () => {
  test("several files to read are one parallel batch; on Gemini only the first call is signed", async () => {
    const frames = await stream("gemini-3-flash", { contents: [userText("read a.js and b.js")], tools: [CODE_TOOLS], systemInstruction: SYSTEM });
    const parts = partsOf(frames).filter((p) => p.functionCall);
    expect(parts.map((p) => (p.functionCall as Call).args.file_path)).toEqual(["/home/dev/project/a.js", "/home/dev/project/b.js"]);
    expect(String(parts[0]?.thoughtSignature)).toStartWith("sim-gemini-");
    expect(parts[1]?.thoughtSignature).toBeUndefined();
  });

  test("'…then…' continues with the next call after a result, then finishes with text that quotes the results", async () => {
    const ask = userText("Read config.js then run npm test");
    const tools = [CODE_TOOLS];
    const first = await stream("claude-sonnet-4-6", { contents: [ask], tools, systemInstruction: SYSTEM });
    const [read] = callsOf(first);
    expect(read?.name).toBe("Read");
    const afterRead = [ask, { role: "model", parts: [{ functionCall: read }] }, { role: "user", parts: [result(read!, "port = 8080 // XYZZY")] }];
    const second = await stream("claude-sonnet-4-6", { contents: afterRead, tools, systemInstruction: SYSTEM });
    const [bash] = callsOf(second);
    expect([bash?.name, bash?.args.command]).toEqual(["Bash", "npm test"]);
    const done = await stream("claude-sonnet-4-6", {
      contents: [...afterRead, { role: "model", parts: [{ functionCall: bash }] }, { role: "user", parts: [result(bash!, "12 tests passed"), { text: "<system-reminder>keep going</system-reminder>" }] }],
      tools,
      systemInstruction: SYSTEM,
    });
    expect(callsOf(done)).toEqual([]);
    expect(textOf(done)).toContain("got the Bash result: 12 tests passed");
  });
});

describe("thinking and signatures per family", () => {
  const claudeThinking = { maxOutputTokens: 8192, thinkingConfig: { include_thoughts: true, thinking_budget: 2048 } };

  test("Claude thinking models think before each call of a batch; each signature rides the part after its thought", async () => {
    const ask = userText("read a.js and b.js");
    const frames = await stream("claude-opus-4-6-thinking", { contents: [ask], tools: [CODE_TOOLS], generationConfig: claudeThinking });
    const parts = partsOf(frames);
    const kinds = parts.map((p) => (p.functionCall ? "call" : p.thought ? "thought" : "text")).filter((k, i, all) => k !== all[i - 1]);
    expect(kinds).toEqual(["thought", "text", "call", "thought", "call"]);
    expect(parts.some((p) => p.thought === true && p.thoughtSignature !== undefined)).toBe(false);
    const secondCall = parts.filter((p) => p.functionCall)[1];
    expect(String(secondCall?.thoughtSignature)).toStartWith("sim-claude-");

    // Replayed the way agcp does (each signature on its thought part), the history is accepted.
    const thoughts: string[] = [];
    let current = "";
    for (const p of parts) {
      if (p.thought) current += p.text as string;
      else if (current) thoughts.push(current), (current = "");
    }
    const signatures = parts.filter((p) => p.thoughtSignature && !p.thought).map((p) => p.thoughtSignature as string);
    const calls = callsOf(frames);
    const model = {
      role: "model",
      parts: [
        { text: thoughts[0], thought: true, thoughtSignature: signatures[0] },
        { functionCall: calls[0] },
        { text: thoughts[1], thought: true, thoughtSignature: signatures[1] },
        { functionCall: calls[1] },
      ],
    };
    const answered = await stream("claude-opus-4-6-thinking", {
      contents: [ask, model, { role: "user", parts: calls.map((c) => result(c, `body of ${c.args.file_path}`)) }],
      tools: [CODE_TOOLS],
      generationConfig: claudeThinking,
    });
    expect(textOf(answered)).toContain("body of");
  });

  test("Gemini thinking: unsigned thoughts, the signature on the first text part and again on a closing empty part", async () => {
    const frames = await stream("gemini-3-flash", { contents: [userText("tell me a story")], generationConfig: { thinkingConfig: { includeThoughts: true, thinkingBudget: 1000 } } });
    const parts = partsOf(frames);
    expect(parts.some((p) => p.thought === true && p.thoughtSignature !== undefined)).toBe(false);
    const firstText = parts.find((p) => p.thought !== true);
    const last = parts.at(-1);
    expect(String(firstText?.thoughtSignature)).toStartWith("sim-gemini-");
    expect(last?.text).toBe("");
    expect(last?.thoughtSignature).toBe(firstText?.thoughtSignature);
  });
});

describe("images", () => {
  test("an image in the prompt is seen: the answer names its format and size", async () => {
    const frames = await stream("gemini-3-flash", {
      contents: [{ role: "user", parts: [{ inlineData: { mimeType: "image/png", data: TINY_PNG } }, { text: "What is this?" }] }],
    });
    expect(textOf(frames)).toContain("I see a PNG image, 1×1 pixels");
  });
});
