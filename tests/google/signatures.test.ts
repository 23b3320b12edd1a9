import { describe, expect, test } from "bun:test";
import { createSignatureCache } from "../../src/google/signatures.ts";

describe("signature cache", () => {
  test("remembers the family of thinking signatures", () => {
    const cache = createSignatureCache();
    cache.rememberThinking("sig-claude", "claude");
    cache.rememberThinking("sig-gemini", "gemini");
    expect(cache.thinkingFamily("sig-claude")).toBe("claude");
    expect(cache.thinkingFamily("sig-gemini")).toBe("gemini");
    expect(cache.thinkingFamily("never-seen")).toBeUndefined();
    expect(cache.thinkingFamily("")).toBeUndefined();
  });

  test("the latest family for a signature wins", () => {
    const cache = createSignatureCache();
    cache.rememberThinking("s", "claude");
    cache.rememberThinking("s", "gemini");
    expect(cache.thinkingFamily("s")).toBe("gemini");
  });

  test("signatures that differ only in the middle are distinct", () => {
    const cache = createSignatureCache();
    const a = `${"A".repeat(500)}x${"B".repeat(500)}`;
    const b = `${"A".repeat(500)}y${"B".repeat(500)}`;
    cache.rememberThinking(a, "claude");
    expect(cache.thinkingFamily(b)).toBeUndefined();
  });

  test("remembers function-call signatures by tool_use id", () => {
    const cache = createSignatureCache();
    cache.rememberToolCall("toolu_1", "fc-sig");
    expect(cache.toolCallSignature("toolu_1")).toBe("fc-sig");
    expect(cache.toolCallSignature("toolu_2")).toBeUndefined();
  });

  test("is bounded, evicting the least recently used", () => {
    const cache = createSignatureCache({ max: 3 });
    for (const s of ["a", "b", "c"]) cache.rememberThinking(s, "claude");
    expect(cache.thinkingFamily("a")).toBe("claude"); // a is now the most recent
    cache.rememberThinking("d", "claude"); // evicts b
    expect(cache.thinkingFamily("b")).toBeUndefined();
    expect(cache.thinkingFamily("a")).toBe("claude");
    expect(cache.thinkingFamily("d")).toBe("claude");
    for (let i = 0; i < 10; i++) cache.rememberToolCall(`t${i}`, "s");
    expect(cache.size).toBe(6);
    expect(cache.toolCallSignature("t0")).toBeUndefined();
    expect(cache.toolCallSignature("t9")).toBe("s");
  });
});
