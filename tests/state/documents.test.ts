import { describe, expect, test } from "bun:test";
import { createPool } from "../../src/pool/pool.ts";
import { decodeDocument, encodeDocument, type Migration } from "../../src/state/documents.ts";
import { decodeId, encodeId, idFromPoolKey, poolKey, stamp } from "../../src/state/keys.ts";
import { STATE_SCHEMA_VERSION } from "../../src/state/types.ts";
import { fakeClock, MODEL, POOL_KEY, upstreamError } from "../pool/helpers.ts";

function sampleState() {
  const clock = fakeClock();
  const pool = createPool({ accounts: [{ id: "a@x.io" }, { id: "b" }], now: clock, random: () => 0 });
  pool.reportFailure("a@x.io", MODEL, upstreamError("quota_exhausted", { status: 429, resetAt: clock() + 60_000 }));
  pool.setQuota("a@x.io", { [MODEL]: { fraction: 0, resetAt: clock() + 60_000 } });
  return pool.stateOf("a@x.io")!;
}

describe("stored documents", () => {
  test("round trip of an account state", () => {
    const state = sampleState();
    const text = encodeDocument("account-state", { state });
    expect(JSON.parse(text).version).toBe(STATE_SCHEMA_VERSION);
    const back = decodeDocument("account-state", text);
    expect(back).toEqual({ ok: true, value: { state } });
  });

  test("half-written JSON says it was probably cut off", () => {
    const text = encodeDocument("account-state", { state: sampleState() });
    const r = decodeDocument("account-state", text.slice(0, text.length / 2));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problem).toMatch(/not valid JSON .*cut off/);
    const empty = decodeDocument("accounts", "");
    expect(!empty.ok && empty.problem).toMatch(/empty/);
  });

  test("a missing or newer schema version is refused with the version named", () => {
    const noVersion = decodeDocument("settings", JSON.stringify({ strategy: undefined }));
    expect(!noVersion.ok && noVersion.problem).toMatch(/no schema version/);
    const newer = decodeDocument("settings", JSON.stringify({ version: STATE_SCHEMA_VERSION + 1 }));
    expect(!newer.ok && newer.problem).toMatch(new RegExp(`schema version ${STATE_SCHEMA_VERSION + 1}, newer`));
    const notObject = decodeDocument("settings", "[1,2]");
    expect(!notObject.ok && notObject.problem).toMatch(/not a JSON object/);
  });

  test("wrong types name the field", () => {
    const state = sampleState() as unknown as Record<string, unknown>;
    const cooldowns = state.cooldowns as Record<string, Record<string, unknown>>;
    cooldowns[POOL_KEY]!.until = "tomorrow";
    const r = decodeDocument("account-state", JSON.stringify({ version: 1, state }));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problem).toContain(`state.cooldowns.${POOL_KEY}.until: expected number`);
    const badAccounts = decodeDocument("accounts", JSON.stringify({ version: 1, accounts: [{ label: "x", enabled: "yes" }] }));
    expect(!badAccounts.ok && badAccounts.problem).toMatch(/accounts\.0\.refreshToken.*accounts\.0\.enabled|accounts\.0\.enabled.*accounts\.0\.refreshToken/s);
    const badStrategy = decodeDocument("settings", JSON.stringify({ version: 1, strategy: { name: "fastest", replaced: "hybrid", changedAt: 1 } }));
    expect(!badStrategy.ok && badStrategy.problem).toContain("strategy.name");
  });

  test("migrations run from the stored version up to the current one, then the result is checked", () => {
    // As if this agcp wrote version 3: v1 named the strategy "strat", v2 nested it.
    const steps: Migration[] = [
      { from: 1, migrate: (_kind, doc) => ({ ...doc, version: 2, strategy: { name: doc.strat, replaced: "hybrid" } }) },
      {
        from: 2,
        migrate: (_kind, doc) => ({ ...doc, version: 3, strategy: { ...(doc.strategy as object), changedAt: 7 } }),
      },
    ];
    const r = decodeDocument("settings", JSON.stringify({ version: 1, strat: "sticky" }), steps, 3);
    expect(r).toEqual({ ok: true, value: { strategy: { name: "sticky", replaced: "hybrid", changedAt: 7 } } });
    // A migration that yields a wrong shape is caught by the schema check.
    const wrong = decodeDocument("settings", JSON.stringify({ version: 1, strat: "fastest" }), steps, 3);
    expect(!wrong.ok && wrong.problem).toContain("strategy.name");
  });

  test("an old version without a migration step, or a throwing step, is refused", () => {
    const missing = decodeDocument("settings", JSON.stringify({ version: 1 }), [], 2);
    expect(!missing.ok && missing.problem).toMatch(/schema version 1, which this agcp cannot migrate/);
    const throwing = decodeDocument("settings", JSON.stringify({ version: 1 }), [{ from: 1, migrate: () => { throw new Error("boom"); } }], 2);
    expect(!throwing.ok && throwing.problem).toMatch(/could not be migrated from schema version 1: boom/);
  });
});

describe("keys", () => {
  test("ids become safe file names and keys, and come back", () => {
    for (const id of ["alice@example.com", "a/b:c?d", "..", ".hidden", "ünï cödé", "x%41"]) {
      const enc = encodeId(id);
      expect(enc).toMatch(/^[A-Za-z0-9@._+%-]+$/);
      expect(enc.startsWith(".")).toBe(false);
      expect(decodeId(enc)).toBe(id);
      expect(idFromPoolKey(poolKey(id))).toBe(id);
    }
    expect(idFromPoolKey("pool:a.corrupt-2026")).toBeUndefined();
    expect(idFromPoolKey("settings")).toBeUndefined();
    expect(stamp(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe("2026-01-02T03-04-05-678Z");
  });
});
