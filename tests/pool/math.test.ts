import { describe, expect, test } from "bun:test";
import { consume, initialBucket, refund, tokensAt, tokensUsableAt } from "../../src/pool/bucket.ts";
import { adjustHealth, healthAt, healthUsableAt, initialHealth } from "../../src/pool/health.ts";
import { isBelowFloor, quotaScore, resolveFloor } from "../../src/pool/quota.ts";
import { T0, tuning } from "./helpers.ts";

const HOUR = 3_600_000;
const MIN = 60_000;

describe("health", () => {
  test("starts at 70 and recovers 10 per hour, computed on read, capped at 100", () => {
    const h = initialHealth(T0, tuning.health);
    expect(healthAt(h, T0, tuning.health)).toBe(70);
    expect(healthAt(h, T0 + HOUR / 2, tuning.health)).toBeCloseTo(75, 9);
    expect(healthAt(h, T0 + 2 * HOUR, tuning.health)).toBeCloseTo(90, 9);
    expect(healthAt(h, T0 + 10 * HOUR, tuning.health)).toBe(100);
    expect(h.score).toBe(70); // reading does not write
  });

  test("penalties fold in recovery first and clamp at 0", () => {
    const h = initialHealth(T0, tuning.health);
    adjustHealth(h, -20, T0 + HOUR, tuning.health);
    expect(h.score).toBeCloseTo(60, 9);
    for (let i = 0; i < 5; i++) adjustHealth(h, -20, T0 + HOUR, tuning.health);
    expect(h.score).toBe(0);
  });

  test("usable-at is the instant recovery reaches 50", () => {
    const h = { score: 30, updatedAt: T0 };
    expect(healthUsableAt(h, tuning.health)).toBe(T0 + 2 * HOUR);
    expect(healthUsableAt({ score: 50, updatedAt: T0 }, tuning.health)).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe("token bucket", () => {
  test("starts full at 50 and refills 6 per minute up to 50", () => {
    const b = initialBucket(T0, tuning.bucket);
    expect(tokensAt(b, T0, tuning.bucket)).toBe(50);
    for (let i = 0; i < 10; i++) consume(b, T0, tuning.bucket);
    expect(tokensAt(b, T0, tuning.bucket)).toBe(40);
    expect(tokensAt(b, T0 + MIN, tuning.bucket)).toBeCloseTo(46, 9);
    expect(tokensAt(b, T0 + 10 * MIN, tuning.bucket)).toBe(50);
  });

  test("refund gives a token back, never above the max", () => {
    const b = initialBucket(T0, tuning.bucket);
    consume(b, T0, tuning.bucket);
    refund(b, T0, tuning.bucket);
    refund(b, T0, tuning.bucket);
    expect(tokensAt(b, T0, tuning.bucket)).toBe(50);
  });

  test("an empty bucket is usable again once one token has refilled", () => {
    const b = { tokens: 0.4, updatedAt: T0 };
    expect(tokensUsableAt(b, tuning.bucket)).toBeCloseTo(T0 + 6_000, 6);
    // The last resort may pick an empty bucket, but the balance never goes into debt.
    for (let i = 0; i < 200; i++) consume(b, T0, tuning.bucket);
    expect(b.tokens).toBe(0);
    expect(tokensAt(b, T0 + 10_000, tuning.bucket)).toBeCloseTo(1, 9);
  });
});

describe("quota", () => {
  const floors = (perModel?: number, own?: number) => ({
    floors: { ...(perModel !== undefined ? { perModel: { m: perModel } } : {}), ...(own !== undefined ? { default: own } : {}) },
  });

  test("floor lookup: account+model, then account, then global model, then global, then 5 %", () => {
    const settings = { globalFloor: 0.2, modelFloors: { m: 0.3 } };
    expect(resolveFloor(floors(0.5, 0.4), "m", settings, tuning.quota)).toBe(0.5);
    expect(resolveFloor(floors(undefined, 0.4), "m", settings, tuning.quota)).toBe(0.4);
    expect(resolveFloor(floors(), "m", settings, tuning.quota)).toBe(0.3);
    expect(resolveFloor(floors(), "other", settings, tuning.quota)).toBe(0.2);
    expect(resolveFloor(floors(), "other", {}, tuning.quota)).toBe(0.05);
    expect(resolveFloor(floors(5), "m", {}, tuning.quota)).toBe(0.99);
  });

  test("score is fraction×100, 50 when unknown, ×0.9 when older than 5 minutes, unknown after reset", () => {
    const q = { fraction: 0.8, fetchedAt: T0, resetAt: T0 + HOUR };
    expect(quotaScore(q, T0 + MIN, tuning.quota)).toBeCloseTo(80, 9);
    expect(quotaScore(q, T0 + 5 * MIN, tuning.quota)).toBeCloseTo(72, 9);
    expect(quotaScore(undefined, T0, tuning.quota)).toBe(50);
    expect(quotaScore(q, T0 + HOUR, tuning.quota)).toBe(50);
  });

  test("at or below the floor excludes only while the data is fresh", () => {
    const q = { fraction: 0.05, fetchedAt: T0 };
    expect(isBelowFloor(q, 0.05, T0 + MIN, tuning.quota)).toBe(true);
    expect(isBelowFloor({ ...q, fraction: 0.06 }, 0.05, T0 + MIN, tuning.quota)).toBe(false);
    expect(isBelowFloor(q, 0.05, T0 + 5 * MIN, tuning.quota)).toBe(false);
  });
});
