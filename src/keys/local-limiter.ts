/**
 * Key limits kept in this process: exact for one instance (memory and fs state, which have one
 * owner), and the fallback when the shared Redis store is away (each instance then enforces on
 * its own, and says so).
 */
import { check, dayOf, LEASE_TTL_MS, MINUTE_MS, type DayUse, type KeyCounts, type Refusal } from "./limits.ts";
import type { KeyLimits, KeyPool } from "./types.ts";

export interface AdmitInput {
  keyId: string;
  name: string;
  limits: KeyLimits;
  pool: KeyPool;
  leaseId: string;
  now: number;
}

export interface Lease {
  keyId: string;
  leaseId: string;
  pool: KeyPool;
  day: number;
}

export interface Settlement {
  /** False: nothing was served (the request failed), so it does not count against the daily budget. */
  served: boolean;
  tokens: number;
}

export type Admission = { ok: true; lease: Lease } | ({ ok: false } & Refusal);

export interface KeyLimiter {
  admit(input: AdmitInput): Promise<Admission>;
  settle(lease: Lease, s: Settlement, now: number): Promise<void>;
  /** Adds tokens to today's use of a pool. */
  charge(keyId: string, pool: KeyPool, tokens: number, now: number): Promise<void>;
  /** Today's use per pool, for listings. */
  today(keyId: string, now: number): Promise<Record<KeyPool, DayUse>>;
}

interface KeyRecord {
  recent: number[];
  leases: Map<string, number>;
  days: Map<number, Record<KeyPool, DayUse>>;
}

const emptyDay = (): Record<KeyPool, DayUse> => ({ gemini: { requests: 0, tokens: 0 }, claude: { requests: 0, tokens: 0 } });

export function createLocalLimiter(): KeyLimiter {
  const keys = new Map<string, KeyRecord>();
  const recordOf = (id: string) => {
    let r = keys.get(id);
    if (!r) keys.set(id, (r = { recent: [], leases: new Map(), days: new Map() }));
    return r;
  };
  const dayOfRecord = (r: KeyRecord, day: number) => {
    let d = r.days.get(day);
    if (!d) {
      r.days.set(day, (d = emptyDay()));
      // Yesterday is kept for requests that settle after midnight; older days go.
      for (const old of r.days.keys()) if (old < day - 1) r.days.delete(old);
    }
    return d;
  };

  return {
    async admit(input) {
      const r = recordOf(input.keyId);
      const { now } = input;
      while (r.recent.length > 0 && (r.recent[0] as number) <= now - MINUTE_MS) r.recent.shift();
      for (const [id, expires] of r.leases) if (expires <= now) r.leases.delete(id);
      const day = dayOf(now);
      const counts: KeyCounts = { recent: r.recent, inFlight: r.leases.size, day: dayOfRecord(r, day) };
      const refusal = check(input.name, input.limits, input.pool, counts, now);
      if (refusal) return { ok: false, ...refusal };
      r.recent.push(now);
      r.leases.set(input.leaseId, now + LEASE_TTL_MS);
      counts.day[input.pool].requests++;
      return { ok: true, lease: { keyId: input.keyId, leaseId: input.leaseId, pool: input.pool, day } };
    },
    async settle(lease, s) {
      const r = recordOf(lease.keyId);
      r.leases.delete(lease.leaseId);
      const d = dayOfRecord(r, lease.day)[lease.pool];
      if (!s.served) d.requests = Math.max(0, d.requests - 1);
      d.tokens += Math.max(0, s.tokens);
    },
    async charge(keyId, pool, tokens, now) {
      dayOfRecord(recordOf(keyId), dayOf(now))[pool].tokens += Math.max(0, tokens);
    },
    async today(keyId, now) {
      const d = keys.get(keyId)?.days.get(dayOf(now));
      return d ? structuredClone(d) : emptyDay();
    },
  };
}
