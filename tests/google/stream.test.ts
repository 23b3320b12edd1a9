import { describe, expect, test } from "bun:test";
import type { AnthropicStreamEvent } from "../../src/anthropic/types.ts";
import { createSignatureCache } from "../../src/google/signatures.ts";
import { createStreamTranslator, parseSse, SseIdleError, SseParseError } from "../../src/google/stream.ts";
import { createToolNameMap } from "../../src/google/tool-names.ts";
import type { CloudCodeChunk, GooglePart } from "../../src/google/types.ts";

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  });
}

async function collect(body: ReadableStream<Uint8Array>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const e of parseSse(body)) out.push(e);
  return out;
}

describe("parseSse", () => {
  const events = [{ response: { candidates: [{ content: { parts: [{ text: "héllo ✓ 𝄞" }] } }] } }, { n: 2 }, { multi: "line" }];
  const wire =
    `: keep-alive comment\r\n` +
    `data: ${JSON.stringify(events[0])}\r\n\r\n` +
    `event: ignored\nid: 7\ndata:${JSON.stringify(events[1])}\n\n` +
    // One JSON value spread over several data lines (joined with newlines, legal JSON whitespace).
    `data: {"multi":\ndata: "line"}\n\n`;
  const bytes = new TextEncoder().encode(wire);

  test("whole body at once", async () => {
    expect(await collect(streamOf([bytes]))).toEqual(events);
  });

  test("split into two at every byte boundary", async () => {
    for (let i = 1; i < bytes.length; i++) {
      const got = await collect(streamOf([bytes.slice(0, i), bytes.slice(i)]));
      if (JSON.stringify(got) !== JSON.stringify(events)) throw new Error(`split at byte ${i} gave ${JSON.stringify(got)}`);
    }
  });

  test("one byte per chunk", async () => {
    const chunks = Array.from(bytes, (b) => new Uint8Array([b]));
    expect(await collect(streamOf(chunks))).toEqual(events);
  });

  test("CR-only line ends, and a CR split from its LF", async () => {
    const cr = new TextEncoder().encode(`data: {"a":1}\r\rdata: {"b":2}\r`);
    expect(await collect(streamOf([cr]))).toEqual([{ a: 1 }, { b: 2 }]);
    const crlf = new TextEncoder().encode(`data: {"a":1}\r\n\r\ndata: {"b":2}\r\n\r\n`);
    for (let i = 1; i < crlf.length; i++) {
      expect(await collect(streamOf([crlf.slice(0, i), crlf.slice(i)]))).toEqual([{ a: 1 }, { b: 2 }]);
    }
  });

  test("a last event without its blank line still counts", async () => {
    expect(await collect(streamOf([new TextEncoder().encode(`data: {"a":1}\n\ndata: {"b":2}`)]))).toEqual([{ a: 1 }, { b: 2 }]);
  });

  test("[DONE] and empty data are skipped", async () => {
    expect(await collect(streamOf([new TextEncoder().encode(`data: [DONE]\n\ndata:\n\ndata: {"a":1}\n\n`)]))).toEqual([{ a: 1 }]);
  });

  test("stopping early cancels the upstream body", async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode(`data: {"a":1}\n\n`));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const _ of parseSse(body)) break;
    expect(cancelled).toBe(true);
  });

  test("broken JSON throws a clear error", async () => {
    const body = streamOf([new TextEncoder().encode(`data: {"a":1}\n\ndata: {"broken\n\n`)]);
    const seen: unknown[] = [];
    let error: unknown;
    try {
      for await (const e of parseSse(body)) seen.push(e);
    } catch (e) {
      error = e;
    }
    expect(seen).toEqual([{ a: 1 }]);
    expect(error).toBeInstanceOf(SseParseError);
    expect((error as Error).message).toContain('not valid JSON: {"broken');
  });
});

// ---- translator ------------------------------------------------------------------------

const chunk = (parts: GooglePart[], finishReason?: string, usage?: Record<string, number>): CloudCodeChunk => ({
  response: { candidates: [{ content: { role: "model", parts }, ...(finishReason ? { finishReason } : {}) }], ...(usage ? { usageMetadata: usage } : {}) },
  traceId: "t",
});

function run(chunks: CloudCodeChunk[], family: "claude" | "gemini" = "claude") {
  let n = 0;
  const signatures = createSignatureCache();
  const t = createStreamTranslator({
    requestedModel: "claude-sonnet-4-5",
    toolNames: createToolNameMap(["mcp__x__do.it"]),
    signatures,
    family,
    estimatedInputTokens: 12,
    newId: (p) => `${p}_${++n}`,
  });
  const events: AnthropicStreamEvent[] = [...t.start()];
  for (const c of chunks) events.push(...t.push(c));
  events.push(...t.finish());
  return { events, translator: t, signatures };
}

/** A compact picture of the event sequence: "start", "block:text", "text:Hi", "stop:0", ... */
function shape(events: AnthropicStreamEvent[]): string[] {
  return events.map((e) => {
    switch (e.type) {
      case "message_start":
        return "start";
      case "content_block_start":
        return `${e.index}:open:${e.content_block.type}`;
      case "content_block_delta": {
        const d = e.delta;
        const v = d.type === "text_delta" ? d.text : d.type === "thinking_delta" ? d.thinking : d.type === "signature_delta" ? d.signature : d.type === "input_json_delta" ? d.partial_json : d.citation.url;
        return `${e.index}:${d.type}:${v}`;
      }
      case "content_block_stop":
        return `${e.index}:close`;
      case "message_delta":
        return `delta:${e.delta.stop_reason}`;
      default:
        return e.type;
    }
  });
}

describe("stream translator", () => {
  const cases: Array<[string, CloudCodeChunk[], string[], "claude" | "gemini"]> = [
    [
      "text only",
      [chunk([{ text: "Hel" }]), chunk([{ text: "lo" }]), chunk([{ text: "" }], "STOP")],
      ["start", "0:open:text", "0:text_delta:Hel", "0:text_delta:lo", "0:close", "delta:end_turn", "message_stop"],
      "claude",
    ],
    [
      "thinking then text: signature before the thinking block closes",
      [
        chunk([{ text: "Let me", thought: true }]),
        chunk([{ text: " see", thought: true }]),
        chunk([{ text: "", thought: true, thoughtSignature: "SIG" }]),
        chunk([{ text: "Answer" }], "STOP"),
      ],
      ["start", "0:open:thinking", "0:thinking_delta:Let me", "0:thinking_delta: see", "0:signature_delta:SIG", "0:close", "1:open:text", "1:text_delta:Answer", "1:close", "delta:end_turn", "message_stop"],
      "claude",
    ],
    [
      "tool use: one delta with the whole arguments, original name",
      [chunk([{ functionCall: { name: "mcp__x__do_it", args: { path: "/a" } } }], "STOP")],
      ["start", "0:open:tool_use", '0:input_json_delta:{"path":"/a"}', "0:close", "delta:tool_use", "message_stop"],
      "claude",
    ],
    [
      "thinking + text + two tool calls in one turn",
      [
        chunk([{ text: "plan", thought: true, thoughtSignature: "S1" }]),
        chunk([{ text: "Reading." }, { functionCall: { name: "Read", args: { p: 1 }, id: "c1" } }]),
        chunk([{ functionCall: { name: "Read", args: { p: 2 }, id: "c2" } }], "STOP"),
      ],
      [
        "start",
        "0:open:thinking",
        "0:thinking_delta:plan",
        "0:signature_delta:S1",
        "0:close",
        "1:open:text",
        "1:text_delta:Reading.",
        "1:close",
        "2:open:tool_use",
        '2:input_json_delta:{"p":1}',
        "2:close",
        "3:open:tool_use",
        '3:input_json_delta:{"p":2}',
        "3:close",
        "delta:tool_use",
        "message_stop",
      ],
      "claude",
    ],
    [
      "gemini signs the first answer part: the signature goes to the thinking block",
      [chunk([{ text: "hmm", thought: true }]), chunk([{ text: "Yes", thoughtSignature: "G" }], "STOP")],
      ["start", "0:open:thinking", "0:thinking_delta:hmm", "0:signature_delta:G", "0:close", "1:open:text", "1:text_delta:Yes", "1:close", "delta:end_turn", "message_stop"],
      "gemini",
    ],
    [
      "MAX_TOKENS",
      [chunk([{ text: "trunc" }], "MAX_TOKENS")],
      ["start", "0:open:text", "0:text_delta:trunc", "0:close", "delta:max_tokens", "message_stop"],
      "claude",
    ],
    ["empty stream", [chunk([], "STOP")], ["start", "delta:end_turn", "message_stop"], "claude"],
  ];
  for (const [name, chunks, expected, family] of cases) {
    test(name, () => {
      expect(shape(run(chunks, family).events)).toEqual(expected);
    });
  }

  test("hasContent is false for an empty stream and true otherwise", () => {
    expect(run([chunk([{ text: "" }], "STOP")]).translator.hasContent).toBe(false);
    expect(run([]).translator.hasContent).toBe(false);
    expect(run([chunk([{ text: "x" }])]).translator.hasContent).toBe(true);
    expect(run([chunk([{ functionCall: { name: "a", args: {} } }])]).translator.hasContent).toBe(true);
  });

  test("message_start and message_delta carry usage; ids and model", () => {
    const { events } = run([chunk([{ text: "x" }], "STOP", { promptTokenCount: 100, cachedContentTokenCount: 30, candidatesTokenCount: 7 })]);
    const start = events[0];
    expect(start?.type === "message_start" && start.message).toMatchObject({ id: "msg_1", model: "claude-sonnet-4-5", content: [], usage: { input_tokens: 12, output_tokens: 0 } });
    const delta = events.find((e) => e.type === "message_delta");
    expect(delta).toEqual({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { input_tokens: 70, output_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: 30 },
    });
  });

  test("tool_use ids are generated when upstream gives none; gemini call signatures remembered", () => {
    const { events, signatures } = run([chunk([{ functionCall: { name: "Read", args: {} }, thoughtSignature: "FCSIG" }], "STOP")], "gemini");
    const open = events.find((e) => e.type === "content_block_start");
    expect(open?.type === "content_block_start" && open.content_block).toEqual({ type: "tool_use", id: "toolu_2", name: "Read", input: {} });
    expect(signatures.toolCallSignature("toolu_2")).toBe("FCSIG");
  });

  test("thinking signatures are remembered under the answering family", () => {
    const { signatures } = run([chunk([{ text: "t", thought: true, thoughtSignature: "CS" }, { text: "a" }])], "claude");
    expect(signatures.thinkingFamily("CS")).toBe("claude");
  });

  test("finish is idempotent and push after finish adds nothing", () => {
    const t = createStreamTranslator({ requestedModel: "m", toolNames: createToolNameMap(), signatures: createSignatureCache(), family: "claude" });
    t.start();
    t.push(chunk([{ text: "a" }]));
    expect(t.finish().map((e) => e.type)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    expect(t.finish()).toEqual([]);
    expect(t.push(chunk([{ text: "b" }]))).toEqual([]);
  });

  test("accepts the inner response object too", () => {
    const t = createStreamTranslator({ requestedModel: "m", toolNames: createToolNameMap(), signatures: createSignatureCache(), family: "claude" });
    expect(t.push({ candidates: [{ content: { parts: [{ text: "x" }] } }] }).map((e) => e.type)).toEqual(["content_block_start", "content_block_delta"]);
  });

  test("is incremental: each chunk's text is emitted as it arrives", () => {
    const t = createStreamTranslator({ requestedModel: "m", toolNames: createToolNameMap(), signatures: createSignatureCache(), family: "claude" });
    t.start();
    for (let i = 0; i < 1000; i++) {
      const out = t.push(chunk([{ text: `w${i} ` }]));
      const last = out[out.length - 1];
      expect(last?.type === "content_block_delta" && last.delta.type === "text_delta" && last.delta.text).toBe(`w${i} `);
    }
  });
});

describe("stream translator completeness", () => {
  const fresh = () => createStreamTranslator({ requestedModel: "m", toolNames: createToolNameMap(), signatures: createSignatureCache(), family: "claude" });
  test("content without a finishReason is not complete; the chunk with one makes it so", () => {
    const t = fresh();
    t.start();
    t.push({ response: { candidates: [{ content: { role: "model", parts: [{ text: "half an" }] } }] } } as CloudCodeChunk);
    expect(t.hasContent).toBe(true);
    expect(t.complete).toBe(false);
    t.push({ response: { candidates: [{ content: { role: "model", parts: [{ text: " answer" }] }, finishReason: "STOP" }] } } as CloudCodeChunk);
    expect(t.complete).toBe(true);
  });
});

describe("parseSse idle limit", () => {
  test("a body that goes silent yields what came, then throws SseIdleError and cancels the body", async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('data: {"n":1}\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    const seen: unknown[] = [];
    const started = performance.now();
    await expect(
      (async () => {
        for await (const e of parseSse(body, { idleMs: 50 })) seen.push(e);
      })(),
    ).rejects.toBeInstanceOf(SseIdleError);
    expect(seen).toEqual([{ n: 1 }]);
    expect(cancelled).toBe(true);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
