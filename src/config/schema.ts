/**
 * Strict validation of what the user wrote in the config file. Every schema carries the
 * human "expected ..." text as its error, so ConfigError can say `expected X, found Y`
 * without knowing zod's issue vocabulary. Unknown keys are errors: they are almost always typos.
 */
import { z } from "zod";
import type { PoolTuning } from "../pool/tuning.ts";
import { IDENTITY_FAMILIES } from "../upstream/identity.ts";
import type { UpstreamOptions } from "../upstream/options.ts";
import type { AgcpConfig, AgcpPoolOptions, AgcpUpstreamOptions } from "./types.ts";

export const LOG_LEVELS = ["silent", "fatal", "error", "warn", "info", "debug", "trace", "verbose"] as const;
export const STRATEGY_NAMES = ["hybrid", "sticky", "round-robin", "reset-aware"] as const;
export const STORAGE_DRIVERS = ["memory", "fs", "redis"] as const;

function between(min: number, max: number): string {
  return `a number between ${min} and ${max}`;
}

export function numberIn(min: number, max: number, expected = between(min, max)) {
  return z.number({ error: expected }).min(min, { error: expected }).max(max, { error: expected });
}

export function intIn(min: number, max: number, expected = `an integer between ${min} and ${max}`) {
  return z.number({ error: expected }).int({ error: expected }).min(min, { error: expected }).max(max, { error: expected });
}

const nonNegative = () => z.number({ error: "a number ≥ 0" }).min(0, { error: "a number ≥ 0" });
const nonNegativeInt = () => intIn(0, Number.MAX_SAFE_INTEGER, "an integer ≥ 0");
const positiveInt = () => intIn(1, Number.MAX_SAFE_INTEGER, "an integer ≥ 1");
const fraction = () => numberIn(0, 1);
const nonEmptyString = (expected = "a non-empty string") => z.string({ error: expected }).min(1, { error: expected });
const bool = () => z.boolean({ error: "true or false" });
const durations = () => z.array(nonNegative(), { error: "an array of milliseconds" });

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `one of ${values.map((v) => `"${v}"`).join(", ")}` });
}

function obj<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.strictObject(shape, { error: "an object" });
}

export const VERSION_EXPECTED = 'a version like "1.3.0"';
export const versionString = () => z.string({ error: VERSION_EXPECTED }).regex(/^\d+(\.\d+){1,3}$/, { error: VERSION_EXPECTED });

const httpUrl = (expected = "an http(s) URL") =>
  z.string({ error: expected }).refine((s) => /^https?:\/\/[^\s/]+/.test(s), { error: expected });

/** Quota floors are fractions; 1.0 would mean "never use this account", which `enabled: false` says better. */
export const floorSchema = () => numberIn(0, 0.99);

const windowFloorsSchema = () => obj({ "5h": floorSchema().optional(), weekly: floorSchema().optional() });

/** `quota` at the top level and on an account (`accounts[].quota`; the console's per-account floors too). */
export const quotaFloorsSchema = obj({
  floor: floorSchema().optional(),
  models: z.record(z.string(), floorSchema(), { error: "an object of model name → floor" }).optional(),
  /** Upstream's quota pools and their windows, e.g. { claude: { weekly: 0.1 } }. */
  pools: obj({ gemini: windowFloorsSchema().optional(), claude: windowFloorsSchema().optional() }).optional(),
});

const envVarName = "the NAME of an environment variable (letters, digits, _)";

const accountSchema = obj({
  label: nonEmptyString().optional(),
  email: nonEmptyString().optional(),
  refreshToken: nonEmptyString().optional(),
  refreshTokenEnv: z
    .string({ error: envVarName })
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: envVarName })
    .optional(),
  projectId: nonEmptyString().optional(),
  enabled: bool().optional(),
  quota: quotaFloorsSchema.optional(),
  // Checked in resolve.ts, which can say why (e.g. SOCKS) rather than only "expected a URL".
  proxy: nonEmptyString("a proxy URL").optional(),
});

export const poolSchema = obj({
  resetAware: obj({ affinityBonus: nonNegative().optional(), inFlightPenalty: nonNegative().optional(), floorReleaseHours: nonNegative().optional() }).optional(),
  hybrid: obj({
    weights: obj({
      health: nonNegative().optional(),
      bucket: nonNegative().optional(),
      quota: nonNegative().optional(),
      lru: nonNegative().optional(),
    }).optional(),
    lruCapSeconds: nonNegative().optional(),
    affinityBonus: nonNegative().optional(),
  }).optional(),
  health: obj({
    initial: nonNegative().optional(),
    successReward: nonNegative().optional(),
    rateLimitPenalty: nonNegative().optional(),
    failurePenalty: nonNegative().optional(),
    recoveryPerHour: nonNegative().optional(),
    min: nonNegative().optional(),
    max: nonNegative().optional(),
    minUsable: nonNegative().optional(),
  }).optional(),
  bucket: obj({
    max: nonNegative().optional(),
    refillPerMinute: nonNegative().optional(),
    initial: nonNegative().optional(),
    cost: nonNegative().optional(),
  }).optional(),
  quota: obj({
    defaultFloor: floorSchema().optional(),
    unknownScore: numberIn(0, 100).optional(),
    staleAfterMs: nonNegative().optional(),
    staleFactor: fraction().optional(),
  }).optional(),
  ladder: obj({
    emergencyDelayMs: nonNegative().optional(),
    lastResortDelayMs: nonNegative().optional(),
  }).optional(),
  sticky: obj({ maxWaitMs: nonNegative().optional() }).optional(),
  backoff: obj({
    quotaExhaustedMs: durations().min(1, { error: "a non-empty array of milliseconds" }).optional(),
    rateLimitedMs: nonNegative().optional(),
    capacityMs: nonNegative().optional(),
    capacityJitterMs: nonNegative().optional(),
    serverErrorMs: nonNegative().optional(),
    unknownMs: nonNegative().optional(),
    dedupeWindowMs: nonNegative().optional(),
    consecutiveFailuresToCool: positiveInt().optional(),
    consecutiveFailureCooldownMs: nonNegative().optional(),
    maxNonQuotaCooledFraction: fraction().optional(),
  }).optional(),
  capacityRetryDelaysMs: durations().optional(),
  emptyResponseRetryDelaysMs: durations().optional(),
  maxInFlightPerAccount: nonNegativeInt().optional(),
  maxWaitMs: nonNegative().optional(),
  minAttempts: positiveInt().optional(),
  probeAfterMs: nonNegative().optional(),
  quotaRefresh: obj({
    intervalMs: nonNegative().optional(),
    jitter: fraction().optional(),
    concurrency: positiveInt().optional(),
  }).optional(),
});

export const upstreamSchema = obj({
  hosts: z
    .array(httpUrl(), { error: "an array of http(s) URLs" })
    .min(1, { error: "at least one http(s) URL" })
    .optional(),
  oauth: obj({
    tokenUrl: httpUrl().optional(),
    userinfoUrl: httpUrl().optional(),
    authorizeUrl: httpUrl().optional(),
    clientId: z.string({ error: "a string" }).optional(),
    clientSecret: z.string({ error: "a string" }).optional(),
    scopes: z.array(nonEmptyString(), { error: "an array of scope strings" }).optional(),
  }).optional(),
  identity: obj({
    family: oneOf(IDENTITY_FAMILIES).optional(),
    version: versionString().optional(),
    os: z.string({ error: "a string" }).optional(),
    arch: z.string({ error: "a string" }).optional(),
    changelist: z.string({ error: "a string" }).optional(),
    userAgent: z.string({ error: "a string" }).optional(),
    headers: z.record(z.string(), z.string({ error: "a string" }), { error: "an object of header name → value" }).optional(),
    detect: bool().optional(),
  }).optional(),
  requestTimeoutMs: positiveInt().optional(),
  refreshSkewMs: nonNegativeInt().optional(),
  envelope: obj({
    requestId: oneOf(["official", "legacy"]).optional(),
    sessionId: oneOf(["official", "legacy"]).optional(),
    labels: bool().optional(),
    toolMode: oneOf(["validated", "auto"]).optional(),
    toolDeclarations: oneOf(["per-tool", "single"]).optional(),
    toolResults: oneOf(["official", "legacy"]).optional(),
    geminiCallIds: bool().optional(),
    systemParts: oneOf(["single", "per-block"]).optional(),
    systemIdentity: oneOf(["none", "prepend"]).optional(),
    systemIdentityText: z.string({ error: "a string" }).optional(),
  }).optional(),
  maxOutputTokens: z.record(z.string(), positiveInt(), { error: "an object of model glob → token count" }).optional(),
  proxy: z.string({ error: "a proxy URL" }).optional(),
  noProxy: z.array(nonEmptyString("a host name"), { error: "an array of host names" }).optional(),
});

const modelName = () => nonEmptyString("a model name");

export const configSchema = obj({
  port: intIn(1, 65535).optional(),
  host: nonEmptyString("a host name or IP address").optional(),
  apiKey: nonEmptyString().optional(),
  strategy: oneOf(STRATEGY_NAMES).optional(),
  logLevel: oneOf(LOG_LEVELS).optional(),
  bodyLimit: intIn(1024, 2 ** 31, "an integer number of bytes between 1024 and 2147483648").optional(),
  accounts: z.array(accountSchema, { error: "an array of accounts" }).optional(),
  quota: quotaFloorsSchema.optional(),
  pool: poolSchema.optional(),
  storage: obj({
    driver: oneOf(STORAGE_DRIVERS).optional(),
    dir: nonEmptyString("a directory path").optional(),
    url: z
      .string({ error: "a redis:// or rediss:// URL" })
      .regex(/^rediss?:\/\/\S+$/, { error: "a redis:// or rediss:// URL" })
      .optional(),
    prefix: z.string({ error: "a string" }).optional(),
    flushIntervalMs: positiveInt().optional(),
  }).optional(),
  upstream: upstreamSchema.optional(),
  models: obj({
    exact: z.record(z.string(), modelName(), { error: "an object of model name → model name" }).optional(),
    patterns: z
      .array(obj({ match: nonEmptyString("a pattern"), to: modelName() }), {
        error: "an array of { match, to }",
      })
      .optional(),
    fallback: z.record(z.string(), modelName(), { error: "an object of model name → fallback model" }).optional(),
    alternatives: z.record(z.string(), z.array(modelName(), { error: "an array of model ids" }), { error: "an object of model id → stand-in ids" }).optional(),
  }).optional(),
  server: obj({
    shutdownTimeoutMs: nonNegativeInt().optional(),
    pingIntervalMs: positiveInt().optional(),
  }).optional(),
  images: obj({ model: modelName().optional() }).optional(),
  webSearch: obj({
    model: modelName().optional(),
    resolveTimeoutMs: positiveInt().optional(),
    resolveRedirects: bool().optional(),
  }).optional(),
  security: obj({
    allowedHosts: z.array(nonEmptyString("a host name"), { error: "an array of host names" }).optional(),
    allowedOrigins: z
      .array(
        z.string({ error: 'an origin like "https://agcp.example.com", or "*"' }).regex(/^(\*|https?:\/\/[^\s/]+)$/, {
          error: 'an origin like "https://agcp.example.com", or "*"',
        }),
        { error: "an array of origins" },
      )
      .optional(),
  }).optional(),
  limits: obj({
    upstreamConcurrency: intIn(1, 65535).optional(),
    upstreamQueueMs: nonNegativeInt().optional(),
    maxConcurrentRequests: positiveInt().optional(),
    bodyTimeoutMs: positiveInt().optional(),
    maxJsonDepth: intIn(8, 100_000).optional(),
    maxSseLineBytes: intIn(1024, 2 ** 31).optional(),
  }).optional(),
  requestLog: obj({
    size: intIn(0, 100_000).optional(),
    accessLog: bool().optional(),
    traceAccounts: nonNegativeInt().optional(),
  }).optional(),
  tokenCount: obj({
    upstream: bool().optional(),
    cacheTtlMs: nonNegativeInt().optional(),
    cacheMaxEntries: positiveInt().optional(),
    timeoutMs: positiveInt().optional(),
    backoffMs: nonNegativeInt().optional(),
  }).optional(),
  agentSdkIdentity: obj({
    rewrite: oneOf(["gemini", "all", "off"]).optional(),
    replacement: nonEmptyString().optional(),
  }).optional(),
});

// Compile-time drift guards: the hand-written user types (types.ts must stay import-free) have to
// match the runtime shapes they override, and the schema has to accept exactly AgcpConfig.
type DeepRequired<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]-?: DeepRequired<T[K]> } : T;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const poolMatches: Same<DeepRequired<AgcpPoolOptions>, PoolTuning> = true;
const upstreamMatches: Same<DeepRequired<AgcpUpstreamOptions>, UpstreamOptions> = true;
const schemaMatches: Same<z.infer<typeof configSchema>, AgcpConfig> = true;
void [poolMatches, upstreamMatches, schemaMatches];

/** Keys allowed on the object at `path` (array indexes and record keys are skipped over). */
export function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.core.$ZodType = configSchema;
  const unwrap = (s: z.core.$ZodType): z.core.$ZodType =>
    s instanceof z.ZodOptional ? unwrap(s.unwrap() as z.core.$ZodType) : s;
  for (const key of path) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject) {
      const next = (schema.shape as Record<string, z.core.$ZodType>)[String(key)];
      if (!next) return [];
      schema = next;
    } else if (schema instanceof z.ZodArray) schema = schema.element as z.core.$ZodType;
    else if (schema instanceof z.ZodRecord) schema = schema.valueType as z.core.$ZodType;
    else return [];
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}
