import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { countTokens, estimateTextTokens, imageTokensForSize } from "../../src/anthropic/count-tokens.ts";
import { base64ImageSize, imageSize } from "../../src/anthropic/image-size.ts";
import type { ContentBlock, CountTokensRequest } from "../../src/anthropic/types.ts";

// ---- image headers built byte by byte (only the header matters to the parser) ----------

const be16 = (n: number) => [(n >> 8) & 255, n & 255];
const le16 = (n: number) => [n & 255, (n >> 8) & 255];
const le24 = (n: number) => [n & 255, (n >> 8) & 255, (n >> 16) & 255];
const be32 = (n: number) => [(n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255];
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

const png = (w: number, h: number) =>
  new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...be32(13), ...ascii("IHDR"), ...be32(w), ...be32(h), 8, 6, 0, 0, 0, 0, 0, 0, 0]);
const gif = (w: number, h: number) => new Uint8Array([...ascii("GIF89a"), ...le16(w), ...le16(h), 0, 0, 0, 0]);
const jpeg = (w: number, h: number) =>
  new Uint8Array([
    0xff, 0xd8,
    // APP0 (JFIF), 16 bytes long, skipped by length
    0xff, 0xe0, ...be16(16), ...ascii("JFIF"), 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
    // DHT (C4) must not be taken for a frame header
    0xff, 0xc4, ...be16(4), 0, 0,
    // SOF2 (progressive): length, precision, height, width
    0xff, 0xc2, ...be16(17), 8, ...be16(h), ...be16(w), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1,
  ]);
const webpVp8x = (w: number, h: number) =>
  new Uint8Array([...ascii("RIFF"), 0, 0, 0, 0, ...ascii("WEBP"), ...ascii("VP8X"), 10, 0, 0, 0, 0, 0, 0, 0, ...le24(w - 1), ...le24(h - 1), 0, 0]);
const webpLossless = (w: number, h: number) => {
  const bits = (w - 1) | ((h - 1) << 14);
  return new Uint8Array([...ascii("RIFF"), 0, 0, 0, 0, ...ascii("WEBP"), ...ascii("VP8L"), 5, 0, 0, 0, 0x2f, bits & 255, (bits >> 8) & 255, (bits >> 16) & 255, (bits >>> 24) & 255, 0, 0, 0, 0, 0]);
};
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

describe("image sizes from headers", () => {
  const cases: Array<[string, Uint8Array, number, number]> = [
    ["png", png(1234, 567), 1234, 567],
    ["gif", gif(100, 50), 100, 50],
    ["jpeg (progressive, after APP0 and DHT)", jpeg(640, 480), 640, 480],
    ["webp VP8X", webpVp8x(800, 600), 800, 600],
    ["webp lossless", webpLossless(300, 200), 300, 200],
  ];
  for (const [name, bytes, w, h] of cases) {
    test(name, () => {
      expect(imageSize(bytes)).toEqual({ width: w, height: h });
      expect(base64ImageSize(b64(bytes))).toEqual({ width: w, height: h });
    });
  }
  test("unknown bytes give no size", () => {
    expect(imageSize(new Uint8Array(32))).toBeUndefined();
    expect(base64ImageSize("!!!")).toBeUndefined();
  });
});

describe("image tokens follow width × height / 750 after the 1568 px downscale, capped at 1600", () => {
  const cases: Array<[number, number, number]> = [
    [200, 200, 54],
    [1000, 1000, 1334],
    [1092, 1092, 1590],
    [3000, 2000, 1600],
    [1568, 300, 628],
    [3136, 600, 628],
  ];
  for (const [w, h, tokens] of cases) test(`${w}x${h} → ${tokens}`, () => expect(imageTokensForSize(w, h)).toBe(tokens));
});

// ---- whole requests --------------------------------------------------------------------

const PROSE =
  "The harbour was quiet when the ferry came in, and most of the passengers had already gathered near the rail, " +
  "watching the low houses of the town grow out of the morning haze. A few gulls followed the boat, calling to each " +
  "other over the noise of the engine. On the quay, a man in a grey coat was waiting with a handcart, and behind him " +
  "two children were throwing pebbles into the water to see whose would land closest to the moored dinghies. Nobody " +
  "seemed in a hurry. The captain leaned out of the wheelhouse and shouted something that was lost in the wind, then " +
  "laughed at his own joke when the deckhand shrugged. It had rained during the night, so the cobbles shone, and the " +
  "smell of wet stone mixed with diesel and salt.";

const req = (messages: CountTokensRequest["messages"], extra: Partial<CountTokensRequest> = {}): CountTokensRequest => ({
  model: "claude-sonnet-4-5",
  messages,
  ...extra,
});
const userBlocks = (...content: ContentBlock[]) => req([{ role: "user", content }]);

describe("text calibration", () => {
  test("English prose lands within 10% of 3.5 characters per token", () => {
    const ratio = PROSE.length / estimateTextTokens(PROSE);
    expect(ratio).toBeGreaterThan(3.5 * 0.9);
    expect(ratio).toBeLessThan(3.5 * 1.1);
  });
  test("source code costs more tokens per character than prose", () => {
    const code = readFileSync(new URL("../../src/google/request.ts", import.meta.url), "utf8");
    const ratio = code.length / estimateTextTokens(code);
    expect(ratio).toBeGreaterThan(2.4);
    expect(ratio).toBeLessThan(3.4);
  });
  test("CJK costs about a token per character", () => {
    const text = "这是一个用于估算的中文句子";
    expect(estimateTextTokens(text)).toBeGreaterThanOrEqual(text.length);
    expect(estimateTextTokens(text)).toBeLessThanOrEqual(text.length * 1.5);
  });
  test("a short greeting is a handful of tokens", () => {
    const n = countTokens(req([{ role: "user", content: "Hello, Claude" }]));
    expect(n).toBeGreaterThanOrEqual(8);
    expect(n).toBeLessThanOrEqual(14);
  });
});

describe("countTokens grows with everything in the request", () => {
  const base = req([{ role: "user", content: "Hello" }]);
  const n0 = countTokens(base);
  const cases: Array<[string, CountTokensRequest, number]> = [
    ["more text", req([{ role: "user", content: `Hello ${PROSE}` }]), 150],
    ["a system prompt", { ...base, system: PROSE }, 150],
    ["system blocks", { ...base, system: [{ type: "text", text: PROSE }] }, 150],
    ["a tool (tool-use prompt + definition)", { ...base, tools: [{ name: "Read", description: "Read a file", input_schema: { type: "object", properties: { path: { type: "string" } } } }] }, 346],
    [
      "tool_use and tool_result",
      req([
        { role: "user", content: "Hello" },
        { role: "assistant", content: [{ type: "tool_use", id: "t", name: "Read", input: { path: "/etc/hosts" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: PROSE }] },
      ]),
      150,
    ],
    ["an image, priced by its size", userBlocks({ type: "text", text: "Hello" }, { type: "image", source: { type: "base64", media_type: "image/png", data: b64(png(1000, 1000)) } }), 1334],
    ["an image by URL at the maximum", userBlocks({ type: "text", text: "Hello" }, { type: "image", source: { type: "url", url: "https://x.test/a.png" } }), 1600],
    [
      "a two-page PDF",
      userBlocks(
        { type: "text", text: "Hello" },
        { type: "document", source: { type: "base64", media_type: "application/pdf", data: b64(new TextEncoder().encode("%PDF-1.4 1 0 obj <</Type /Pages>> 2 0 obj <</Type /Page>> 3 0 obj <</Type/Page>>")) } },
      ),
      2 * 3850,
    ],
    ["a text document", userBlocks({ type: "text", text: "Hello" }, { type: "document", source: { type: "text", data: PROSE } }), 150],
  ];
  for (const [name, request, atLeast] of cases) {
    test(name, () => {
      expect(countTokens(request) - n0).toBeGreaterThanOrEqual(atLeast);
    });
  }

  test("forced tool choice uses the smaller tool prompt", () => {
    const tools = [{ name: "Read", input_schema: { type: "object" } }];
    expect(countTokens({ ...base, tools }) - countTokens({ ...base, tools, tool_choice: { type: "any" } })).toBe(346 - 313);
  });

  test("thinking counts only in the open assistant turn", () => {
    const thinking: ContentBlock = { type: "thinking", thinking: PROSE, signature: "s" };
    const earlier = req([
      { role: "user", content: "q" },
      { role: "assistant", content: [thinking, { type: "text", text: "a" }] },
      { role: "user", content: "next" },
    ]);
    const withoutThinking = req([
      { role: "user", content: "q" },
      { role: "assistant", content: [{ type: "text", text: "a" }] },
      { role: "user", content: "next" },
    ]);
    expect(countTokens(earlier)).toBe(countTokens(withoutThinking));
    const loop = req([
      { role: "user", content: "q" },
      { role: "assistant", content: [thinking, { type: "tool_use", id: "t", name: "R", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: "r" }] },
    ]);
    const loopWithout = req([
      { role: "user", content: "q" },
      { role: "assistant", content: [{ type: "tool_use", id: "t", name: "R", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: "r" }] },
    ]);
    expect(countTokens(loop) - countTokens(loopWithout)).toBeGreaterThanOrEqual(150);
  });

  test("images inside tool results count", () => {
    const withImage = userBlocks({
      type: "tool_result",
      tool_use_id: "t",
      content: [{ type: "image", source: { type: "base64", media_type: "image/gif", data: b64(gif(750, 100)) } }],
    });
    const without = userBlocks({ type: "tool_result", tool_use_id: "t", content: [] });
    expect(countTokens(withImage) - countTokens(without)).toBe(100);
  });
});
