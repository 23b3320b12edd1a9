/**
 * Reading stored documents without trusting them. Every document carries a schema `version`;
 * older versions go through migrations, anything else that is off (not JSON, no version, a newer
 * version, a wrong type) comes back as a problem sentence for the caller to report once.
 */
import { z } from "zod";
import { STRATEGIES, type StrategyName } from "../pool/tuning.ts";
import type { AccountState } from "../pool/types.ts";
import type { UpstreamErrorKind } from "../upstream/errors.ts";
import type { ClientKey } from "../keys/types.ts";
import type { UsageCell } from "../keys/usage.ts";
import { STATE_SCHEMA_VERSION, type StoredAccount, type StoredSettings } from "./types.ts";

export type DocKind = "account-state" | "accounts" | "settings" | "client-keys" | "usage";

type Loose = Record<string, unknown>;

/** Turns a document of version `from` into version `from + 1`. */
export interface Migration {
  from: number;
  migrate(kind: DocKind, doc: Loose): Loose;
}

/** None yet: version 1 is the first. Add one here whenever STATE_SCHEMA_VERSION is bumped. */
export const MIGRATIONS: readonly Migration[] = [];

const ERROR_KINDS = [
  "quota_exhausted",
  "rate_limited",
  "capacity",
  "unauthenticated",
  "auth_revoked",
  "verification_required",
  "banned",
  "bad_request",
  "server",
  "network",
  "empty_response",
] as const satisfies readonly UpstreamErrorKind[];
// Fails to compile when UpstreamErrorKind gains a kind this list lacks.
type MissingKind = Exclude<UpstreamErrorKind, (typeof ERROR_KINDS)[number]>;
const _exhaustive: [MissingKind] extends [never] ? true : never = true;
void _exhaustive;

const instant = z.number();
const cooldown = z.object({
  until: instant,
  reason: z.enum(ERROR_KINDS),
  hits: z.number().int().min(0),
  since: instant,
  last429At: instant,
  checkedAt: instant.optional(),
  window: z.enum(["5h", "weekly"]).optional(),
});
// Ranges (a fraction above 1, a time in the far future) are checked after decoding (ranges.ts), so
// one bad value costs that value, not the whole account's state.
const quotaEntry = z.object({ fraction: z.number(), resetAt: instant.optional(), fetchedAt: instant });
const windowFloors = z.record(z.string(), z.object({ "5h": z.number().optional(), weekly: z.number().optional() }));
const floors = z.object({
  default: z.number().optional(),
  perModel: z.record(z.string(), z.number()).optional(),
  pools: windowFloors.optional(),
});
const accountState = z.object({
  id: z.string().min(1),
  label: z.string(),
  enabled: z.boolean(),
  invalid: z
    .object({
      kind: z.enum(["auth_revoked", "verification_required", "banned"]),
      reason: z.string(),
      url: z.string().optional(),
      at: instant,
    })
    .optional(),
  health: z.object({ score: z.number(), updatedAt: instant }),
  bucket: z.object({ tokens: z.number(), updatedAt: instant }),
  lastUsedAt: instant,
  consecutiveFailures: z.number().int().min(0),
  cooldowns: z.record(z.string(), cooldown),
  quota: z.record(z.string(), quotaEntry),
  tier: z.string().optional(),
  floors: floors.optional(),
});

const storedAccount = z.object({
  label: z.string().min(1),
  email: z.string().optional(),
  refreshToken: z.string().min(1),
  projectId: z.string().optional(),
  proxy: z.string().optional(),
  enabled: z.boolean(),
  addedAt: instant,
  // Loose on purpose: one odd floor must not cost every stored account; the pool clamps floors when it reads them.
  floors: z.object({ floor: z.number().optional(), models: z.record(z.string(), z.number()).optional(), pools: windowFloors.optional() }).optional(),
});

const budget = z.union([z.number().int().min(0), z.object({ gemini: z.number().int().min(0).optional(), claude: z.number().int().min(0).optional() })]);
const clientKey = z.object({
  id: z.string().regex(/^[a-f0-9]{12}$/),
  name: z.string().min(1),
  hash: z.string().regex(/^[a-f0-9]{64}$/),
  createdAt: instant,
  expiresAt: instant.optional(),
  revokedAt: instant.optional(),
  limits: z.object({
    models: z.array(z.string()).optional(),
    rpm: z.number().int().min(1).optional(),
    concurrency: z.number().int().min(1).optional(),
    requestsPerDay: budget.optional(),
    tokensPerDay: budget.optional(),
    poolShare: z.number().min(0).max(1).optional(),
  }),
});
const usageCell = z.object({ requests: z.number(), inputTokens: z.number(), outputTokens: z.number(), errors: z.number() });

const strategyName = z.enum(STRATEGIES as unknown as [StrategyName, ...StrategyName[]]);

const SCHEMAS = {
  "account-state": z.object({ state: accountState }),
  accounts: z.object({ accounts: z.array(storedAccount) }),
  settings: z.object({
    strategy: z.object({ name: strategyName, replaced: strategyName, changedAt: instant }).optional(),
    overrides: z
      .object({
        floor: z.number().min(0).max(0.99).optional(),
        modelFloors: z.record(z.string(), z.number().min(0).max(0.99)).optional(),
        poolFloors: z
          .object({
            gemini: z.object({ "5h": z.number().min(0).max(0.99).optional(), weekly: z.number().min(0).max(0.99).optional() }).optional(),
            claude: z.object({ "5h": z.number().min(0).max(0.99).optional(), weekly: z.number().min(0).max(0.99).optional() }).optional(),
          })
          .optional(),
        fallback: z.record(z.string(), z.string()).optional(),
        logLevel: z.string().optional(),
        bodyLimit: z.number().int().min(1024).optional(),
        changedAt: instant.optional(),
      })
      .optional(),
  }),
  "client-keys": z.object({ keys: z.array(clientKey) }),
  // series (a client key, an account × model) → hour start (epoch ms, as text) → counts
  usage: z.object({ usage: z.record(z.string(), z.record(z.string(), usageCell)) }),
};

export interface DocValues {
  "account-state": { state: AccountState };
  accounts: { accounts: StoredAccount[] };
  settings: StoredSettings;
  "client-keys": { keys: ClientKey[] };
  usage: { usage: Record<string, Record<string, UsageCell>> };
}

export type Decoded<K extends DocKind> = { ok: true; value: DocValues[K] } | { ok: false; problem: string };

const isObj = (v: unknown): v is Loose => typeof v === "object" && v !== null && !Array.isArray(v);

function describeIssues(error: z.ZodError): string {
  const parts = error.issues.slice(0, 3).map((i) => {
    const path = i.path.length > 0 ? i.path.join(".") : "(top level)";
    return `${path}: ${i.message.replace(/^Invalid input: /, "")}`;
  });
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : "";
  return `has values of the wrong type: ${parts.join("; ")}${more}`;
}

/** Parses and checks one stored document. `raw` is the stored text (null when absent is the caller's business). */
export function decodeDocument<K extends DocKind>(
  kind: K,
  raw: unknown,
  migrations: readonly Migration[] = MIGRATIONS,
  /** The version this agcp writes; a parameter so migrations can be tested before they exist. */
  current: number = STATE_SCHEMA_VERSION,
): Decoded<K> {
  const text = typeof raw === "string" ? raw : raw instanceof Uint8Array ? new TextDecoder().decode(raw) : undefined;
  if (text === undefined) return { ok: false, problem: `is not text (${typeof raw})` };
  if (text.trim() === "") return { ok: false, problem: "is empty (probably cut off while being written)" };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: `is not valid JSON (${(err as Error).message}); probably cut off while being written` };
  }
  if (!isObj(doc)) return { ok: false, problem: "is not a JSON object" };
  let version = doc.version;
  if (typeof version !== "number" || !Number.isInteger(version) || version < 1) {
    return { ok: false, problem: "has no schema version (a \"version\" field)" };
  }
  if (version > current) {
    return {
      ok: false,
      problem: `has schema version ${version}, newer than this agcp understands (${current}); it was written by a newer agcp`,
    };
  }
  while (version < current) {
    const step = migrations.find((m) => m.from === version);
    if (!step) return { ok: false, problem: `has schema version ${version}, which this agcp cannot migrate` };
    try {
      doc = step.migrate(kind, doc as Loose);
    } catch (err) {
      return { ok: false, problem: `could not be migrated from schema version ${version}: ${(err as Error).message}` };
    }
    version += 1;
  }
  const parsed = SCHEMAS[kind].safeParse(doc);
  if (!parsed.success) return { ok: false, problem: describeIssues(parsed.error) };
  return { ok: true, value: parsed.data as DocValues[K] };
}

/** The stored text of a document of the current schema version. */
export function encodeDocument<K extends DocKind>(_kind: K, value: DocValues[K]): string {
  return JSON.stringify({ version: STATE_SCHEMA_VERSION, ...value });
}
