/**
 * `agcp keys`: client API keys for sharing one pool — each with its own limits, shown once,
 * stored hashed in the state store so every instance on one Redis sees the same keys at once.
 */
import { defineCommand, type ArgsDef } from "citty";
import { consola } from "consola";
import { loadConfig } from "../../config/load.ts";
import type { ResolvedConfig } from "../../config/resolve.ts";
import { dayOf } from "../../keys/limits.ts";
import { parseBudget, parseExpiry, parseLimits } from "../../keys/parse.ts";
import { viewOf, type Budget, type ClientKey, type KeyLimits } from "../../keys/types.ts";
import { totals } from "../../keys/usage.ts";
import { openStateStore, StateError, type StateStore } from "../../state/index.ts";
import { globalArgs, stringFlag } from "../args.ts";
import { UsageError } from "../errors.ts";
import { withExamples } from "../help.ts";
import { plain } from "../output.ts";
import { pickupNote } from "./accounts-store.ts";

type StorageDriver = ResolvedConfig["storage"]["driver"];

const configArg = {
  config: { type: "string", description: "Config file (env AGCP_CONFIG; default ./agcp.config.*)", valueHint: "file" },
} as const satisfies ArgsDef;

const nameArg = { name: { type: "positional", description: "Key name", required: true } } as const satisfies ArgsDef;

async function withStore<T>(args: { config?: unknown }, fn: (store: StateStore, driver: StorageDriver) => Promise<T>): Promise<T> {
  const configFile = stringFlag("config", args.config);
  const { config } = await loadConfig({ ...(configFile !== undefined && { configFile }), env: process.env, skipAccounts: true });
  const store = await openStateStore({ storage: config.storage, log: consola });
  try {
    return await fn(store, config.storage.driver);
  } catch (err) {
    if (err instanceof StateError) throw new UsageError(err.message);
    throw err;
  } finally {
    await store.close();
  }
}

function flagged<T>(name: string, value: unknown, parse: (s: string) => T): T | undefined {
  const s = stringFlag(name, value);
  if (s === undefined) return undefined;
  try {
    return parse(s);
  } catch (err) {
    throw new UsageError(`--${name}: ${(err as Error).message}`);
  }
}

function positiveInt(s: string): number {
  if (!/^\d+$/.test(s.trim()) || Number(s) < 1) throw new Error(`expected a whole number ≥ 1, found ${JSON.stringify(s)}`);
  return Number(s);
}

function share(s: string): number {
  const n = Number(s);
  if (!(n > 0 && n <= 1)) throw new Error(`expected a fraction in (0, 1], e.g. 0.25; found ${JSON.stringify(s)}`);
  return n;
}

const add = withExamples(
  defineCommand({
    meta: { name: "add", description: "Create a key; its secret is printed once" },
    args: {
      ...nameArg,
      models: { type: "string", description: "Allowed models, comma-separated globs (e.g. 'gemini-*flash*,claude-sonnet-*')", valueHint: "globs" },
      rpm: { type: "string", description: "Requests per minute", valueHint: "n" },
      concurrency: { type: "string", description: "Requests in flight at once", valueHint: "n" },
      "requests-per-day": { type: "string", description: "Requests per UTC day: N, or per pool claude=N,gemini=M", valueHint: "n" },
      "tokens-per-day": { type: "string", description: "Tokens per UTC day: N, or per pool claude=N,gemini=M", valueHint: "n" },
      "pool-share": { type: "string", description: "At most this fraction of each quota window (0–1)", valueHint: "f" },
      expires: { type: "string", description: "ISO date/time or a duration from now (30m, 12h, 7d, 2w)", valueHint: "when" },
      ...configArg,
      ...globalArgs,
    },
    async run({ args }) {
      const models = flagged("models", args.models, (s) => s.split(",").map((m) => m.trim()).filter(Boolean));
      const limits: KeyLimits = parseLimits({
        ...(models && { models }),
        ...(args.rpm !== undefined && { rpm: flagged("rpm", args.rpm, positiveInt) }),
        ...(args.concurrency !== undefined && { concurrency: flagged("concurrency", args.concurrency, positiveInt) }),
        ...(args["requests-per-day"] !== undefined && { requestsPerDay: flagged("requests-per-day", args["requests-per-day"], parseBudget) }),
        ...(args["tokens-per-day"] !== undefined && { tokensPerDay: flagged("tokens-per-day", args["tokens-per-day"], parseBudget) }),
        ...(args["pool-share"] !== undefined && { poolShare: flagged("pool-share", args["pool-share"], share) }),
      });
      const expiresAt = flagged("expires", args.expires, (s) => parseExpiry(s, Date.now()));
      await withStore(args, async (store, driver) => {
        const { key, secret } = await store.keys.add({ name: String(args.name), limits, ...(expiresAt !== undefined && { expiresAt }) });
        consola.success(`Key "${key.name}" created. Its secret is shown this once; agcp keeps only its hash:`);
        plain.log(secret);
        consola.info(`Clients send it as x-api-key, Authorization: Bearer, x-goog-api-key or ?key=. ${pickupNote(driver)}`);
      });
    },
  }),
  [
    "agcp keys add ana --rpm 20 --requests-per-day claude=300",
    "agcp keys add ci --models 'gemini-*flash*' --concurrency 4 --expires 2026-12-31",
    "agcp keys add lab --tokens-per-day 2000000 --pool-share 0.25",
  ],
);

function describeBudget(b: Budget | undefined, unit: string): string | undefined {
  if (b === undefined) return undefined;
  if (typeof b === "number") return `${b} ${unit}/day`;
  return Object.entries(b).map(([p, n]) => `${p} ${n} ${unit}/day`).join(", ");
}

export function describeLimits(l: KeyLimits): string {
  const parts = [
    l.models && `models ${l.models.join(",")}`,
    l.rpm !== undefined && `${l.rpm}/min`,
    l.concurrency !== undefined && `${l.concurrency} at once`,
    describeBudget(l.requestsPerDay, "req"),
    describeBudget(l.tokensPerDay, "tok"),
    l.poolShare !== undefined && `${Math.round(l.poolShare * 100)}% of each window`,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join("; ") : "no limits";
}

const list = defineCommand({
  meta: { name: "list", description: "Keys, their limits, status and use (today and the last 24 h)" },
  args: { json: { type: "boolean", description: "JSON instead of the table" }, ...configArg, ...globalArgs },
  async run({ args }) {
    await withStore(args, async (store) => {
      const now = Date.now();
      const keys = await store.keys.list();
      const usage = totals(await store.keys.usage(now - 86_400_000), now - 86_400_000);
      const rows = await Promise.all(
        keys.map(async (k: ClientKey) => ({ ...viewOf(k, now), today: await store.keyLimiter.today(k.id, now), last24h: usage.get(k.id) })),
      );
      if (args.json) {
        plain.log(JSON.stringify({ keys: rows, day: dayOf(now) }, null, 2));
        return;
      }
      if (rows.length === 0) {
        plain.log("No client keys. Create one with `agcp keys add <name>`.");
        return;
      }
      for (const r of rows) {
        const u = r.last24h;
        const today = r.today.claude.requests + r.today.gemini.requests;
        const expiry = r.expiresAt !== undefined ? `, expires ${new Date(r.expiresAt).toISOString()}` : "";
        plain.log(`${r.name}  [${r.status}${expiry}]  agcp-${r.id}-…`);
        plain.log(`  limits: ${describeLimits(r.limits)}`);
        plain.log(
          `  today: ${today} requests (claude ${r.today.claude.requests}, gemini ${r.today.gemini.requests}), ${r.today.claude.tokens + r.today.gemini.tokens} tokens` +
            (u ? `; last 24 h: ${u.requests} requests, ${u.inputTokens} in / ${u.outputTokens} out tokens, ${u.errors} errors` : ""),
        );
      }
    });
  },
});

const revoke = defineCommand({
  meta: { name: "revoke", description: "Refuse a key from now on, on every instance (kept in the list)" },
  args: { ...nameArg, ...configArg, ...globalArgs },
  async run({ args }) {
    await withStore(args, async (store, driver) => {
      if (!(await store.keys.revoke(String(args.name)))) throw new UsageError(`No key named "${args.name}" (see \`agcp keys list\`).`);
      consola.success(`Key "${args.name}" revoked. ${pickupNote(driver)}`);
    });
  },
});

const rotate = defineCommand({
  meta: { name: "rotate", description: "Give a key a new secret (same name, limits and usage); the old one stops working" },
  args: { ...nameArg, ...configArg, ...globalArgs },
  async run({ args }) {
    await withStore(args, async (store) => {
      const { key, secret } = await store.keys.rotate(String(args.name));
      consola.success(`Key "${key.name}" has a new secret, shown this once:`);
      plain.log(secret);
    });
  },
});

const remove = defineCommand({
  meta: { name: "remove", description: "Delete a key entirely" },
  args: { ...nameArg, ...configArg, ...globalArgs },
  async run({ args }) {
    await withStore(args, async (store) => {
      if (!(await store.keys.remove(String(args.name)))) throw new UsageError(`No key named "${args.name}".`);
      consola.success(`Key "${args.name}" deleted.`);
    });
  },
});

export default withExamples(
  defineCommand({
    meta: { name: "keys", description: "Client API keys with their own limits, shared by every instance" },
    args: { ...globalArgs },
    subCommands: { add, list, revoke, rotate, remove },
  }),
  ["agcp keys add ana --rpm 20", "agcp keys list", "agcp keys revoke ana"],
);
