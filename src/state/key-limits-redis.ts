/**
 * Key limits shared by every instance on one Redis: one Lua round trip checks and takes a
 * request (sliding minute, leases in flight, today's per-pool counters), so two instances can
 * never both admit the last request of a budget. Mirrors `check` in src/keys/limits.ts.
 * While Redis is away each instance falls back to its own counters and says so once.
 */
import type Redis from "ioredis";
import { budgetFor, dayOf, describeRefusal, LEASE_TTL_MS, MINUTE_MS, untilNextDay } from "../keys/limits.ts";
import { createLocalLimiter, type KeyLimiter } from "../keys/local-limiter.ts";
import type { KeyPool } from "../keys/types.ts";
import type { StateLog } from "./types.ts";

// KEYS: recent zset, leases zset, today's hash for this pool, today's hash for the other pool.
// ARGV: now, leaseId, rpm, concurrency, leaseTtl, reqPool, reqTotal, tokPool, tokTotal, dayTtlSec.
const ADMIT_LUA = `
local now = tonumber(ARGV[1])
local rpm = tonumber(ARGV[3])
local conc = tonumber(ARGV[4])
if rpm >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ${MINUTE_MS})
  if redis.call('ZCARD', KEYS[1]) >= rpm then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {'rpm', tostring(tonumber(oldest[2]) + ${MINUTE_MS} - now), '0'}
  end
end
if conc >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  local n = redis.call('ZCARD', KEYS[2])
  if n >= conc then return {'concurrency', '1000', tostring(n)} end
end
local pr = tonumber(redis.call('HGET', KEYS[3], 'r') or '0')
local pt = tonumber(redis.call('HGET', KEYS[3], 't') or '0')
local orq = tonumber(redis.call('HGET', KEYS[4], 'r') or '0')
local ot = tonumber(redis.call('HGET', KEYS[4], 't') or '0')
local reqPool, reqTotal = tonumber(ARGV[6]), tonumber(ARGV[7])
if (reqPool >= 0 and pr >= reqPool) or (reqTotal >= 0 and pr + orq >= reqTotal) then return {'requestsPerDay', '0', '0'} end
local tokPool, tokTotal = tonumber(ARGV[8]), tonumber(ARGV[9])
if (tokPool >= 0 and pt >= tokPool) or (tokTotal >= 0 and pt + ot >= tokTotal) then return {'tokensPerDay', '0', '0'} end
if rpm >= 0 then
  redis.call('ZADD', KEYS[1], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ${MINUTE_MS + 1000})
end
if conc >= 0 then
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[5]), ARGV[2])
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[5]))
end
redis.call('HINCRBY', KEYS[3], 'r', 1)
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[10]))
return {'ok', '0', '0'}
`;

// KEYS: leases zset, the lease's day hash. ARGV: leaseId, refund (1/0), tokens.
const SETTLE_LUA = `
redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[2] == '1' and tonumber(redis.call('HGET', KEYS[2], 'r') or '0') > 0 then redis.call('HINCRBY', KEYS[2], 'r', -1) end
local t = tonumber(ARGV[3])
if t > 0 then redis.call('HINCRBY', KEYS[2], 't', t) end
return 1
`;

type Cmd = (...args: Array<string | number>) => Promise<[string, string, string]>;

const OTHER: Record<KeyPool, KeyPool> = { gemini: "claude", claude: "gemini" };
const DAY_TTL_SEC = 2 * 86_400;

export function createRedisKeyLimiter(client: Redis, prefix: string, online: () => boolean, log: StateLog): KeyLimiter {
  client.defineCommand("agcpKeyAdmit", { numberOfKeys: 4, lua: ADMIT_LUA });
  client.defineCommand("agcpKeySettle", { numberOfKeys: 2, lua: SETTLE_LUA });
  const admitCmd = (client as unknown as { agcpKeyAdmit: Cmd }).agcpKeyAdmit.bind(client);
  const settleCmd = (client as unknown as { agcpKeySettle: Cmd }).agcpKeySettle.bind(client);
  const local = createLocalLimiter();
  const k = (id: string, what: string) => `${prefix}:key:${id}:${what}`;
  const dayKey = (id: string, day: number, pool: KeyPool) => k(id, `day:${day}:${pool}`);
  let warned = false;
  const fallback = (why: string) => {
    if (!warned) log.warn(`Key limits: Redis is away (${why}); each instance enforces them on its own until it returns.`);
    warned = true;
  };

  return {
    async admit(input) {
      if (online()) {
        try {
          const day = dayOf(input.now);
          const [reqPool, reqTotal] = budgetFor(input.limits.requestsPerDay, input.pool);
          const [tokPool, tokTotal] = budgetFor(input.limits.tokensPerDay, input.pool);
          const [verdict, retry, inFlight] = await admitCmd(
            k(input.keyId, "recent"),
            k(input.keyId, "leases"),
            dayKey(input.keyId, day, input.pool),
            dayKey(input.keyId, day, OTHER[input.pool]),
            input.now,
            input.leaseId,
            input.limits.rpm ?? -1,
            input.limits.concurrency ?? -1,
            LEASE_TTL_MS,
            reqPool,
            reqTotal,
            tokPool,
            tokTotal,
            DAY_TTL_SEC,
          );
          warned = false;
          if (verdict === "ok") return { ok: true, lease: { keyId: input.keyId, leaseId: input.leaseId, pool: input.pool, day } };
          const limit = verdict as "rpm" | "concurrency" | "requestsPerDay" | "tokensPerDay";
          const retryAfterMs = limit === "rpm" ? Number(retry) : limit === "concurrency" ? 1000 : untilNextDay(input.now);
          const r = describeRefusal({ name: input.name, limit, limits: input.limits, pool: input.pool, retryAfterMs, inFlight: Number(inFlight), now: input.now });
          return { ok: false, ...r };
        } catch (err) {
          fallback((err as Error).message);
        }
      } else fallback("not connected");
      return local.admit(input);
    },
    async settle(lease, s, now) {
      if (online()) {
        try {
          await settleCmd(k(lease.keyId, "leases"), dayKey(lease.keyId, lease.day, lease.pool), lease.leaseId, s.served ? "0" : "1", Math.max(0, Math.round(s.tokens)));
          return;
        } catch (err) {
          fallback((err as Error).message);
        }
      }
      await local.settle(lease, s, now);
    },
    async charge(keyId, pool, tokens, now) {
      const t = Math.max(0, Math.round(tokens));
      if (online()) {
        try {
          const key = dayKey(keyId, dayOf(now), pool);
          await client.multi().hincrby(key, "t", t).expire(key, DAY_TTL_SEC).exec();
          return;
        } catch (err) {
          fallback((err as Error).message);
        }
      }
      await local.charge(keyId, pool, t, now);
    },
    async today(keyId, now) {
      if (!online()) return local.today(keyId, now);
      const day = dayOf(now);
      const read = async (pool: KeyPool) => {
        const h = await client.hgetall(dayKey(keyId, day, pool));
        return { requests: Number(h.r ?? 0), tokens: Number(h.t ?? 0) };
      };
      return { gemini: await read("gemini"), claude: await read("claude") };
    },
  };
}

