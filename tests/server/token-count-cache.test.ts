import { expect, test } from "bun:test";
import { createTokenCountCache, tokenCountKey } from "../../src/server/token-count-cache.ts";

test("a count is reused until its time is up", () => {
  let now = 1_000;
  const cache = createTokenCountCache({ ttlMs: 60_000, maxEntries: 10, now: () => now });
  cache.set("a", 42);
  now += 59_999;
  expect(cache.get("a")).toBe(42);
  now += 1;
  expect(cache.get("a")).toBeUndefined();
  expect(cache.size).toBe(0);
});

test("memory is bounded: the least recently used count goes first", () => {
  const cache = createTokenCountCache({ ttlMs: 60_000, maxEntries: 2, now: () => 0 });
  cache.set("a", 1);
  cache.set("b", 2);
  expect(cache.get("a")).toBe(1); // a is now the most recent
  cache.set("c", 3);
  expect(cache.size).toBe(2);
  expect(cache.get("b")).toBeUndefined();
  expect(cache.get("a")).toBe(1);
  expect(cache.get("c")).toBe(3);
});

test("a ttl of 0 turns caching off", () => {
  const cache = createTokenCountCache({ ttlMs: 0, maxEntries: 2, now: () => 0 });
  cache.set("a", 1);
  expect(cache.get("a")).toBeUndefined();
});

test("keys differ by model and by content, and not otherwise", () => {
  const body = { contents: [{ role: "user", parts: [{ text: "hi" }] }] };
  expect(tokenCountKey("m", body)).toBe(tokenCountKey("m", structuredClone(body)));
  expect(tokenCountKey("m", body)).not.toBe(tokenCountKey("n", body));
  expect(tokenCountKey("m", body)).not.toBe(tokenCountKey("m", { contents: [{ role: "user", parts: [{ text: "ho" }] }] }));
});
