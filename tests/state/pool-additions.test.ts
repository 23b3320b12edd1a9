import { describe, expect, test } from "bun:test";
import { createPool } from "../../src/pool/pool.ts";
import { fakeClock, MODEL, POOL_KEY, upstreamError } from "../pool/helpers.ts";

function pool(n = 3, strategy: "round-robin" | "hybrid" = "hybrid") {
  const clock = fakeClock();
  const p = createPool({
    accounts: Array.from({ length: n }, (_, i) => ({ id: `a${i + 1}` })),
    now: clock,
    random: () => 0,
    strategy,
  });
  return { pool: p, clock };
}

describe("pool additions for the state layer", () => {
  test("stateOf is a deep copy of one account", () => {
    const { pool: p } = pool();
    const s = p.stateOf("a1")!;
    expect(s.id).toBe("a1");
    s.cooldowns[MODEL] = { until: Number.MAX_SAFE_INTEGER, reason: "quota_exhausted", hits: 1, since: 0, last429At: 0 };
    expect(p.stateOf("a1")!.cooldowns).toEqual({});
    expect(p.stateOf("nope")).toBeUndefined();
  });

  test("applyRemote replaces the state, re-enables, and tells listeners", () => {
    const { pool: p, clock } = pool();
    p.setEnabled("a1", false);
    const seen: string[] = [];
    p.onChange((id) => seen.push(id));
    const remote = p.stateOf("a1")!;
    remote.enabled = true;
    remote.cooldowns[MODEL] = { until: clock() + 60_000, reason: "quota_exhausted", hits: 1, since: clock(), last429At: clock() };
    expect(p.applyRemote(remote)).toBe(true);
    expect(seen).toEqual(["a1"]);
    const view = p.account("a1")!;
    expect(view.enabled).toBe(true);
    expect(view.cooldowns[MODEL]?.until).toBe(clock() + 60_000);
    // Selection must see it at once: a1 is cooled for MODEL.
    for (let i = 0; i < 5; i++) {
      const sel = p.select(MODEL);
      expect(sel.ok && sel.accountId).not.toBe("a1");
    }
    expect(p.applyRemote({ ...remote, id: "unknown" })).toBe(false);
    expect(p.applyRemote("garbage")).toBe(false);
  });

  test("applyRemote keeps the configured label", () => {
    const { pool: p } = pool();
    expect(p.applyRemote({ ...p.stateOf("a2")!, label: "evil" })).toBe(true);
    expect(p.account("a2")!.label).toBe("a2");
  });

  test("setCursor moves round-robin's next pick", () => {
    const { pool: p } = pool(3, "round-robin");
    p.setCursor(2);
    const first = p.select(MODEL);
    expect(first.ok && first.accountId).toBe("a3");
    p.setCursor(7); // wraps: 7 % 3 = 1
    const second = p.select(MODEL);
    expect(second.ok && second.accountId).toBe("a2");
    p.setCursor(Number.NaN); // ignored
    const third = p.select(MODEL);
    expect(third.ok && third.accountId).toBe("a3");
  });

  test("a failure reported after applyRemote still escalates from the remote cooldown", () => {
    const { pool: p, clock } = pool();
    const remote = p.stateOf("a1")!;
    remote.cooldowns[POOL_KEY] = { until: clock() - 1, reason: "quota_exhausted", hits: 2, since: clock() - 10_000, last429At: clock() - 10_000 };
    p.applyRemote(remote);
    const out = p.reportFailure("a1", MODEL, upstreamError("quota_exhausted", { status: 429 }));
    expect(out.action).toBe("cooled");
    expect(out.action === "cooled" && out.hits).toBe(3);
  });
});
