/**
 * Client keys in the state store: one document (rarely changed, written at once, announced so
 * every instance on one Redis reads it again at once; the fs watcher covers the CLI), plus usage
 * per key per hour (Redis: counters every instance adds to; fs and memory: one document).
 */
import { createSerial } from "./serial.ts";
import { newSecret } from "../keys/secret.ts";
import type { ClientKey, KeyLimits } from "../keys/types.ts";
import type { UsageTable } from "../keys/usage.ts";
import type { StoreContext } from "./context.ts";
import { CLIENT_KEYS_KEY } from "./keys.ts";
import { StateError } from "./types.ts";
import type { UsageStore } from "./usage.ts";

export interface NewKey {
  name: string;
  limits?: KeyLimits;
  expiresAt?: number;
}

export interface KeyStore {
  list(): Promise<ClientKey[]>;
  /** The secret is returned here and never again. */
  add(input: NewKey): Promise<{ key: ClientKey; secret: string }>;
  /** A new secret for the same key (name, limits, usage); the old secret stops working at once. */
  rotate(name: string): Promise<{ key: ClientKey; secret: string }>;
  revoke(name: string): Promise<boolean>;
  remove(name: string): Promise<boolean>;
  /** Adds counts (key id → hour start → delta). */
  addUsage(delta: UsageTable): Promise<void>;
  /** Usage since `from` (epoch ms). */
  usage(from: number): Promise<UsageTable>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9@._+-]{0,63}$/;

export function createKeyStore(ctx: StoreContext, usage: UsageStore): KeyStore {
  // Changes in this process are applied one after another so none is lost.
  const serial = createSerial();
  const read = async () => (await ctx.read("client-keys", CLIENT_KEYS_KEY))?.keys ?? [];
  const write = async (keys: ClientKey[]) => {
    await ctx.write("client-keys", CLIENT_KEYS_KEY, { keys });
    await ctx.announce({ t: "keys" });
  };
  const find = (keys: ClientKey[], name: string) => {
    const i = keys.findIndex((k) => k.name === name);
    if (i < 0) throw new StateError("not_found", `No key named "${name}" (see \`agcp keys list\`).`);
    return i;
  };

  return {
    list: () => serial(read),

    add(input) {
      return serial(async () => {
        const name = input.name.trim();
        if (!NAME.test(name)) throw new StateError("invalid", `Key names are 1–64 letters, digits and @._+- (got "${input.name}").`);
        const keys = await read();
        if (keys.some((k) => k.name === name)) throw new StateError("conflict", `A key named "${name}" exists; revoke or rotate it instead.`);
        const s = newSecret();
        const key: ClientKey = {
          id: s.id,
          name,
          hash: s.hash,
          createdAt: ctx.now(),
          ...(input.expiresAt !== undefined && { expiresAt: input.expiresAt }),
          limits: input.limits ?? {},
        };
        await write([...keys, key]);
        return { key, secret: s.secret };
      });
    },

    rotate(name) {
      return serial(async () => {
        const keys = await read();
        const i = find(keys, name);
        const old = keys[i] as ClientKey;
        const s = newSecret(old.id);
        const { revokedAt: _r, ...rest } = old;
        const key: ClientKey = { ...rest, hash: s.hash };
        keys[i] = key;
        await write(keys);
        return { key, secret: s.secret };
      });
    },

    revoke(name) {
      return serial(async () => {
        const keys = await read();
        const i = keys.findIndex((k) => k.name === name);
        if (i < 0) return false;
        keys[i] = { ...(keys[i] as ClientKey), revokedAt: ctx.now() };
        await write(keys);
        return true;
      });
    },

    remove(name) {
      return serial(async () => {
        const keys = await read();
        const left = keys.filter((k) => k.name !== name);
        if (left.length === keys.length) return false;
        await write(left);
        return true;
      });
    },

    async addUsage(delta) {
      const bySeries: UsageTable = {};
      for (const [id, hours] of Object.entries(delta)) bySeries[`key:${id}`] = hours;
      await usage.add(bySeries);
    },

    async usage(from) {
      const out: UsageTable = {};
      for (const [series, hours] of Object.entries(await usage.read(from, (s) => s.startsWith("key:")))) out[series.slice(4)] = hours;
      return out;
    },
  };
}
