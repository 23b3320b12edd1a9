/** The run-out forecast as arithmetic over a clock. */
import { expect, test } from "bun:test";
import { createForecaster } from "../../src/console/forecast.ts";

const H = 3_600_000;
const T0 = Date.UTC(2026, 11, 2, 9, 0);

test("a steady burn gives the run-out time and how long before the reset it comes", () => {
  const f = createForecaster();
  // 10 % an hour for an hour: 0.8 → 0.7, reset in 3 h.
  for (let i = 0; i <= 6; i++) f.observe("work@", "claude", "5h", { at: T0 + (i * H) / 6, remaining: 0.8 - i * (0.1 / 6), resetAt: T0 + 4 * H });
  const now = T0 + H;
  const fc = f.forecast("work@", "claude", "5h", now)!;
  expect(fc.burnPerHour).toBeCloseTo(0.1, 6);
  expect(Date.parse(fc.runOutAt!)).toBe(now + 7 * H);
  expect(fc.runsOutBeforeReset).toBe(false);
  expect(fc.text).toContain("lasts until its reset in 3h00");

  const g = createForecaster();
  for (let i = 0; i <= 4; i++) g.observe("work@", "claude", "5h", { at: T0 + i * 15 * 60_000, remaining: 0.5 - i * 0.05, resetAt: T0 + 4 * H });
  const hot = g.forecast("work@", "claude", "5h", T0 + H)!;
  // 20 %/h with 30 % left: 1h30 to go, and the reset is 3h away.
  expect(hot.burnPerHour).toBeCloseTo(0.2, 6);
  expect(hot.runsOutBeforeReset).toBe(true);
  expect(hot.text).toBe("at this pace the claude pool's 5h window of work@ runs out in 1h30, 1h30 before its reset");
});

test("idle windows and fresh windows after a reset have no run-out time", () => {
  const f = createForecaster();
  f.observe("a", "gemini", "weekly", { at: T0, remaining: 0.9, resetAt: T0 + 100 * H });
  f.observe("a", "gemini", "weekly", { at: T0 + H, remaining: 0.9, resetAt: T0 + 100 * H });
  expect(f.forecast("a", "gemini", "weekly", T0 + H)?.runOutAt).toBeNull();
  f.observe("a", "claude", "5h", { at: T0, remaining: 0.2, resetAt: T0 + H });
  f.observe("a", "claude", "5h", { at: T0 + 30 * 60_000, remaining: 0.1, resetAt: T0 + H });
  // The window reset: back to full, the old pace is void.
  f.observe("a", "claude", "5h", { at: T0 + 2 * H, remaining: 1, resetAt: T0 + 6 * H });
  expect(f.forecast("a", "claude", "5h", T0 + 2 * H)?.burnPerHour).toBe(0);
  expect(f.forecast("nobody", "claude", "5h", T0)).toBeUndefined();
});
