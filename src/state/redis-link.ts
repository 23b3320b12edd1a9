/**
 * The Redis side of several instances sharing one pool: pub/sub for changes, one Lua round trip
 * per token taken (the shared bucket and the shared round-robin counter), and connection
 * tracking. When Redis goes away nothing here throws at the request path: callers see
 * `online === false`, the loss is logged once, and reconnect listeners run when it returns.
 */
import type Redis from "ioredis";
import type { PoolTuning } from "../pool/tuning.ts";
import { parseMessage, type StateMessage } from "./messages.ts";
import type { StateLog } from "./types.ts";

/**
 * Refills, then takes (or gives back) one selection's cost; the same arithmetic as the pool's
 * local bucket, so a local bucket set from the answer behaves exactly like the shared one. Tells
 * every instance when the bucket crosses between usable and empty, so none keeps spending it.
 */
const BUCKET_LUA = `
local now = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
local refill = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local initial = tonumber(ARGV[5])
local stored = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = tonumber(stored[1])
local at = tonumber(stored[2])
-- Missing or out of range (more than the bucket holds, a time a day ahead, a debt no burst of refused
-- takes could run up): start it afresh. A small debt is normal here: a refused take is given back.
if tokens == nil or at == nil or tokens > max or tokens < -1000000 or at > now + 86400000 then
  tokens = math.min(max, initial)
  at = now
end
local elapsed = now - at
if elapsed < 0 then elapsed = 0 end
tokens = math.min(max, tokens + elapsed / 60000 * refill)
local before = tokens
if ARGV[6] == 'take' then tokens = tokens - cost else tokens = math.min(max, tokens + cost) end
if now > at then at = now end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', tostring(at))
local cursor = 0
if ARGV[6] == 'take' then cursor = redis.call('INCR', KEYS[2]) end
if (before >= cost) ~= (tokens >= cost) then
  redis.call('PUBLISH', ARGV[7], cjson.encode({v = 1, t = 'bucket', from = ARGV[9], id = ARGV[8], tokens = tokens, at = at}))
end
return {tostring(tokens), tostring(at), cursor, tostring(before)}
`;

export interface BucketAnswer {
  tokens: number;
  at: number;
  /** Takes so far across every instance (round-robin's shared position); 0 for refunds. */
  cursor: number;
  /** Tokens before this take or refund (after refill). */
  before: number;
}

export interface RedisLinkOptions {
  client: Redis;
  prefix: string;
  /** For log lines (password already hidden). */
  location: string;
  instanceId: string;
  log: StateLog;
  /** How long to wait for the first connection before serving without Redis. */
  connectTimeoutMs: number;
}

export interface RedisLink {
  readonly online: boolean;
  readonly instanceId: string;
  publish(message: StateMessage): Promise<void>;
  bucket(id: string, mode: "take" | "refund", t: PoolTuning["bucket"], now: number): Promise<BucketAnswer>;
  /** Messages from other instances. */
  onMessage(listener: (message: StateMessage) => void): () => void;
  /** Runs after Redis came back from an outage (not on the first connection). */
  onReconnect(listener: () => void): () => void;
  close(): Promise<void>;
}

type BucketCommand = (
  bucketKey: string,
  cursorKey: string,
  ...args: Array<string | number>
) => Promise<[string, string, number, string]>;

export async function openRedisLink(opts: RedisLinkOptions): Promise<RedisLink> {
  const { client, prefix, location, instanceId, log } = opts;
  const channel = `${prefix}:events`;
  const cursorKey = `${prefix}:rr-cursor`;
  const bucketKey = (id: string) => `${prefix}:bucket:${id}`;
  const messageListeners = new Set<(m: StateMessage) => void>();
  const reconnectListeners = new Set<() => void>();
  let online = client.status === "ready";
  let outage = false;
  let closed = false;
  let warnedBadMessage = false;

  client.defineCommand("agcpBucket", { numberOfKeys: 2, lua: BUCKET_LUA });
  const bucketCommand = (client as unknown as { agcpBucket: BucketCommand }).agcpBucket.bind(client);

  const lost = (why: string) => {
    online = false;
    if (outage || closed) return;
    outage = true;
    log.warn(
      `Redis at ${location} is unreachable (${why}): serving from this instance's own state; changes are kept and pushed when it returns.`,
    );
  };
  client.on("ready", () => {
    online = true;
    if (!outage || closed) return;
    outage = false;
    log.info(`Redis at ${location} is back: resyncing state.`);
    for (const l of reconnectListeners) l();
  });
  client.on("close", () => lost("connection closed"));
  client.on("end", () => lost("connection ended"));
  client.on("error", (err: Error) => log.debug(`[state] redis: ${err.message}`));

  // Subscriber mode blocks every other command on a connection, so pub/sub gets its own.
  const sub = client.duplicate({ enableOfflineQueue: true });
  sub.on("error", (err: Error) => log.debug(`[state] redis subscriber: ${err.message}`));
  sub.on("message", (ch: string, text: string) => {
    if (ch !== channel) return;
    const message = parseMessage(text);
    if (!message) {
      if (!warnedBadMessage) log.warn(`Ignoring a malformed state message on Redis channel ${channel} (another agcp version?).`);
      warnedBadMessage = true;
      return;
    }
    if (message.from === instanceId) return;
    for (const l of messageListeners) l(message);
  });
  const subscribed = sub.subscribe(channel).catch((err: Error) => log.debug(`[state] subscribe: ${err.message}`));

  if (!online) {
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), opts.connectTimeoutMs);
      client.once("ready", () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!ready) lost(`no connection within ${opts.connectTimeoutMs} ms`);
  }
  if (online) {
    // Changes published before the subscription is live would be missed.
    await Promise.race([subscribed, new Promise((r) => setTimeout(r, opts.connectTimeoutMs))]);
  }

  return {
    get online() {
      return online;
    },
    instanceId,
    async publish(message) {
      await client.publish(channel, JSON.stringify(message));
    },
    async bucket(id, mode, t, now) {
      const [tokens, at, cursor, before] = await bucketCommand(
        bucketKey(id),
        cursorKey,
        now,
        t.max,
        t.refillPerMinute,
        t.cost,
        t.initial,
        mode,
        channel,
        id,
        instanceId,
      );
      return { tokens: Number(tokens), at: Number(at), cursor: Number(cursor), before: Number(before) };
    },
    onMessage(listener) {
      messageListeners.add(listener);
      return () => messageListeners.delete(listener);
    },
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    async close() {
      closed = true;
      sub.disconnect();
    },
  };
}
