/**
 * Pure step from "what the user wrote" (file + env + flags) to a fully defaulted ResolvedConfig.
 * No file system, no process.env: everything comes in as arguments so it is trivially testable.
 */
import type { WindowFloors } from "../pool/types.ts";
import { createDefu } from "defu";
import { isAbsolute, join, resolve as resolvePath } from "node:path";
import { DEFAULT_MODEL_ALTERNATIVES, DEFAULT_MODEL_MAPPING, type ModelMapping } from "../google/models.ts";
import { DEFAULT_TUNING, type PoolTuning, type StrategyName } from "../pool/tuning.ts";
import { CLAUDE_CODE_CLI_IDENTITY } from "../upstream/agent-identity.ts";
import { DEFAULT_IDENTITY, type UpstreamIdentity } from "../upstream/identity.ts";
import { DEFAULT_UPSTREAM, type UpstreamOptions } from "../upstream/options.ts";
import { parseNoProxy, proxyUrlProblem, redactProxyUrl } from "../upstream/proxy.ts";
import { ConfigError, describeValue, issuesFromZod, type ConfigIssue } from "./errors.ts";
import { configSchema, intIn, knownKeysAt, LOG_LEVELS, STRATEGY_NAMES, VERSION_EXPECTED, versionString } from "./schema.ts";
import type { AgcpAgentSdkIdentityOptions, AgcpConfig, AgcpLimitsOptions, AgcpLogLevel, AgcpTokenCountOptions, AgcpRequestLogOptions } from "./types.ts";

export interface ResolvedAccount {
  label: string;
  email?: string;
  refreshToken: string;
  projectId?: string;
  enabled: boolean;
  /** Outbound proxy URL (or "direct"); absent: the global one. */
  proxy?: string;
  /** Only what the user set; the pool falls back to the global floors. */
  quota: { floor?: number; models: Record<string, number>; pools?: WindowFloors };
}

export interface ResolvedStorage {
  driver: "memory" | "fs" | "redis";
  /** Absolute. Meaningful for "fs". */
  dir: string;
  /** Set when driver is "redis". */
  url?: string;
  prefix: string;
  flushIntervalMs: number;
}

export interface ResolvedConfig {
  port: number;
  host: string;
  apiKey?: string;
  strategy: StrategyName;
  logLevel: AgcpLogLevel;
  bodyLimit: number;
  accounts: ResolvedAccount[];
  /** Global floors; `floor` equals `pool.quota.defaultFloor`. */
  quota: { floor: number; models: Record<string, number>; pools?: WindowFloors };
  pool: PoolTuning;
  storage: ResolvedStorage;
  upstream: UpstreamOptions;
  /** Where upstream.identity's version came from, in words for `accounts verify` and the start-up log. */
  identitySource: string;
  models: { mapping: ModelMapping; fallback: Record<string, string>; alternatives: Record<string, string[]> };
  server: { shutdownTimeoutMs: number; pingIntervalMs: number };
  images: { model: string };
  webSearch: { model: string; resolveTimeoutMs: number; resolveRedirects: boolean };
  security: { allowedHosts: string[]; allowedOrigins: string[] };
  limits: Required<AgcpLimitsOptions>;
  tokenCount: Required<AgcpTokenCountOptions>;
  /** The console-editable settings the configuration (file, env, flag) set at start. */
  setAtStart: Record<"floor" | "modelFloors" | "poolFloors" | "fallback" | "logLevel" | "bodyLimit", boolean>;
  requestLog: Required<AgcpRequestLogOptions>;
  agentSdkIdentity: Required<AgcpAgentSdkIdentityOptions>;
}

/** Values given on the command line; strings are parsed like env values. */
export interface ConfigFlags {
  port?: number | string;
  host?: string;
  strategy?: string;
  apiKey?: string;
  logLevel?: string;
}

export type ConfigEnv = Record<string, string | undefined>;

export interface ResolveInput {
  /** Raw default export of the config file (unvalidated), or undefined without a file. */
  file?: unknown;
  /** How to name the file in messages. */
  fileLabel?: string;
  /** Folder relative paths in the file are resolved against (the file's folder, else cwd). */
  baseDir: string;
  env: ConfigEnv;
  flags?: ConfigFlags;
  /** Home directory, for the default state dir when neither XDG_STATE_HOME nor HOME is set. */
  homeDir: string;
  /** Leave `accounts` empty without resolving tokens (demo mode replaces them anyway). */
  skipAccounts?: boolean;
}

export const DEFAULTS = {
  port: 8080,
  host: "127.0.0.1",
  strategy: "reset-aware" as StrategyName,
  logLevel: "info" as AgcpLogLevel,
  bodyLimit: 32 * 1024 * 1024,
  storage: { driver: "fs" as const, prefix: "agcp", flushIntervalMs: 1000 },
  server: { shutdownTimeoutMs: 10_000, pingIntervalMs: 10_000 },
  images: { model: "gemini-3.1-flash-image" },
  // The sheet's web search model (captures, Aug 2026); accounts' catalogs may name others.
  webSearch: { model: "gemini-3.1-flash-lite", resolveTimeoutMs: 2_000, resolveRedirects: true },
  limits: {
    upstreamConcurrency: 4096,
    upstreamQueueMs: 10_000,
    maxConcurrentRequests: 8192,
    bodyTimeoutMs: 60_000,
    maxJsonDepth: 128,
    maxSseLineBytes: 32 * 1024 * 1024,
  } satisfies Required<AgcpLimitsOptions>,
  requestLog: { size: 500, accessLog: false, traceAccounts: 200 },
  tokenCount: { upstream: true, cacheTtlMs: 60_000, cacheMaxEntries: 500, timeoutMs: 5_000, backoffMs: 30_000 },
  agentSdkIdentity: { rewrite: "gemini" as const, replacement: CLAUDE_CODE_CLI_IDENTITY },
};

/** Like defu, but a user's array replaces the default array instead of being concatenated to it. */
const mergeReplacingArrays = createDefu((target, key, value) => {
  if (Array.isArray(value)) {
    (target as Record<PropertyKey, unknown>)[key] = [...value];
    return true;
  }
  return false;
});

type Scalar = "port" | "host" | "strategy" | "apiKey" | "logLevel";
const ENV_NAMES: Record<Scalar, string> = {
  port: "AGCP_PORT",
  host: "AGCP_HOST",
  strategy: "AGCP_STRATEGY",
  apiKey: "AGCP_API_KEY",
  logLevel: "AGCP_LOG_LEVEL",
};
const FLAG_NAMES: Record<Scalar, string> = {
  port: "--port",
  host: "--host",
  strategy: "--strategy",
  apiKey: "--api-key",
  logLevel: "--log-level",
};

const portSchema = intIn(1, 65535);

function parseScalar(
  key: Scalar,
  raw: string | number,
  path: string,
  origin: "env" | "flag",
  issues: ConfigIssue[],
): string | number | undefined {
  const fail = (expected: string) => {
    issues.push({ path, expected, found: describeValue(raw, [key]), origin });
    return undefined;
  };
  switch (key) {
    case "port": {
      const n = typeof raw === "number" ? raw : /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
      return portSchema.safeParse(n).success ? n : fail("an integer between 1 and 65535");
    }
    case "strategy":
      return (STRATEGY_NAMES as readonly string[]).includes(String(raw))
        ? String(raw)
        : fail(`one of ${STRATEGY_NAMES.map((s) => `"${s}"`).join(", ")}`);
    case "logLevel":
      return (LOG_LEVELS as readonly string[]).includes(String(raw))
        ? String(raw)
        : fail(`one of ${LOG_LEVELS.map((s) => `"${s}"`).join(", ")}`);
    case "host":
    case "apiKey":
      return String(raw).length > 0 ? String(raw) : fail("a non-empty string");
  }
}

/** Flags and env vars as a partial config, validated with their own names in messages. */
function overridesFrom(env: ConfigEnv, flags: ConfigFlags, issues: ConfigIssue[]) {
  const fromEnv: Partial<Record<Scalar, string | number>> = {};
  const fromFlags: Partial<Record<Scalar, string | number>> = {};
  for (const key of Object.keys(ENV_NAMES) as Scalar[]) {
    const envValue = env[ENV_NAMES[key]];
    // An exported-but-empty variable means "unset" in shell practice.
    if (envValue !== undefined && envValue !== "") {
      const v = parseScalar(key, envValue, ENV_NAMES[key], "env", issues);
      if (v !== undefined) fromEnv[key] = v;
    }
    const flagValue = flags[key];
    if (flagValue !== undefined) {
      const v = parseScalar(key, flagValue, FLAG_NAMES[key], "flag", issues);
      if (v !== undefined) fromFlags[key] = v;
    }
  }
  return { ...fromEnv, ...fromFlags } as Partial<AgcpConfig>;
}

export function defaultStateDir(env: ConfigEnv, homeDir: string): string {
  const xdg = env.XDG_STATE_HOME;
  // The XDG spec says relative values are invalid and must be ignored.
  if (xdg && isAbsolute(xdg)) return join(xdg, "agcp");
  return join(env.HOME || homeDir, ".local", "state", "agcp");
}

function resolveAccounts(user: AgcpConfig, env: ConfigEnv, issues: ConfigIssue[]): ResolvedAccount[] {
  const out: ResolvedAccount[] = [];
  const seen = new Map<string, number>();
  (user.accounts ?? []).forEach((account, i) => {
    const at = `accounts[${i}]`;
    let token: string | undefined;
    if (account.refreshToken !== undefined && account.refreshTokenEnv !== undefined) {
      issues.push({
        path: at,
        expected: "only one of refreshToken / refreshTokenEnv",
        found: "both",
        origin: "file",
      });
    } else if (account.refreshToken !== undefined) {
      token = account.refreshToken;
    } else if (account.refreshTokenEnv !== undefined) {
      token = env[account.refreshTokenEnv] || undefined;
      if (token === undefined) {
        issues.push({
          path: `${at}.refreshTokenEnv`,
          expected: `environment variable ${account.refreshTokenEnv} to hold a refresh token`,
          found: "it unset or empty",
          origin: "file",
        });
      }
    } else {
      issues.push({
        path: at,
        expected: "a refreshToken or a refreshTokenEnv (name of an env var holding it)",
        found: "neither",
        origin: "file",
      });
    }
    const label = account.label ?? account.email ?? `account-${i + 1}`;
    const previous = seen.get(label);
    if (previous !== undefined) {
      issues.push({
        path: `${at}.label`,
        expected: `a label unique among accounts (set "label" on one of them)`,
        found: `${JSON.stringify(label)}, also used by accounts[${previous}]`,
        origin: "file",
      });
    }
    seen.set(label, i);
    const proxyProblem = account.proxy !== undefined ? proxyUrlProblem(account.proxy) : undefined;
    if (proxyProblem) {
      issues.push({ path: `${at}.proxy`, expected: proxyProblem, found: JSON.stringify(redactProxyUrl(account.proxy!)), origin: "file" });
    }
    out.push({
      label,
      ...(account.email !== undefined && { email: account.email }),
      refreshToken: token ?? "",
      ...(account.projectId !== undefined && { projectId: account.projectId }),
      enabled: account.enabled ?? true,
      ...(account.proxy !== undefined && { proxy: account.proxy }),
      quota: {
        ...(account.quota?.floor !== undefined && { floor: account.quota.floor }),
        models: { ...account.quota?.models },
        ...(account.quota?.pools !== undefined && { pools: structuredClone(account.quota.pools) }),
      },
    });
  });
  return out;
}

/** `upstream.proxy` / `noProxy`, defaulting to the standard environment variables. */
function resolveProxy(user: AgcpConfig, env: ConfigEnv, issues: ConfigIssue[]): { proxy: string; noProxy: string[] } {
  const fromFile = user.upstream?.proxy;
  const envName = env.HTTPS_PROXY ? "HTTPS_PROXY" : env.https_proxy ? "https_proxy" : undefined;
  const proxy = fromFile ?? (envName ? env[envName]! : "");
  const problem = proxy ? proxyUrlProblem(proxy) : undefined;
  if (problem) {
    issues.push({
      path: fromFile !== undefined ? "upstream.proxy" : envName!,
      expected: problem,
      found: JSON.stringify(redactProxyUrl(proxy)),
      origin: fromFile !== undefined ? "file" : "env",
    });
  }
  const noProxy = user.upstream?.noProxy?.map((h) => h.toLowerCase()) ?? parseNoProxy(env.NO_PROXY ?? env.no_proxy);
  return { proxy: problem ? "" : proxy, noProxy };
}

/**
 * Validate and default everything. Throws one ConfigError listing every problem found
 * (file, env and flags together) so the user can fix them in one go.
 */
export function resolveConfig(input: ResolveInput): ResolvedConfig {
  const issues: ConfigIssue[] = [];
  let user: AgcpConfig = {};
  if (input.file !== undefined) {
    const parsed = configSchema.safeParse(input.file);
    if (parsed.success) user = parsed.data;
    else issues.push(...issuesFromZod(parsed.error, input.file, knownKeysAt));
  }
  const overrides = overridesFrom(input.env, input.flags ?? {}, issues);
  // Semantic checks need a schema-valid file; reporting them on top of type errors would be noise.
  const accounts =
    input.skipAccounts || issues.some((i) => i.origin === "file") ? [] : resolveAccounts(user, input.env, issues);
  const proxy = resolveProxy(user, input.env, issues);
  if (user.storage?.driver === "redis" && !user.storage.url) {
    issues.push({ path: "storage.url", expected: 'a redis:// URL when driver is "redis"', found: "nothing", origin: "file" });
  }
  const clientVersion = input.env.AGCP_CLIENT_VERSION;
  if (clientVersion && !versionString().safeParse(clientVersion).success) {
    issues.push({ path: "AGCP_CLIENT_VERSION", expected: VERSION_EXPECTED, found: describeValue(clientVersion, []), origin: "env" });
  }
  const fileIdentity = user.upstream?.identity;
  if (fileIdentity?.family && fileIdentity.family !== "cli" && !fileIdentity.version && !clientVersion && !fileIdentity.userAgent) {
    // The default version is agy's numbering; the desktop families count differently (2.x).
    issues.push({ path: "upstream.identity.version", expected: `the ${fileIdentity.family} client's version with family "${fileIdentity.family}"`, found: "nothing", origin: "file" });
  }
  if (issues.length > 0) throw new ConfigError(issues, input.fileLabel);

  const top = { ...user, ...overrides };
  const floor = user.quota?.floor ?? user.pool?.quota?.defaultFloor ?? DEFAULT_TUNING.quota.defaultFloor;
  const pool = mergeReplacingArrays(user.pool ?? {}, structuredClone(DEFAULT_TUNING)) as PoolTuning;
  pool.quota.defaultFloor = floor;
  const upstream = mergeReplacingArrays(user.upstream ?? {}, structuredClone(DEFAULT_UPSTREAM)) as UpstreamOptions;
  const identitySource = resolveIdentity(upstream.identity, user.upstream?.identity ?? {}, input.env, input.fileLabel ?? "the config file");
  // The OAuth client can come from the environment (a service manager's secret store) and wins over the file.
  if (input.env.AGCP_OAUTH_CLIENT_ID) upstream.oauth.clientId = input.env.AGCP_OAUTH_CLIENT_ID;
  if (input.env.AGCP_OAUTH_CLIENT_SECRET) upstream.oauth.clientSecret = input.env.AGCP_OAUTH_CLIENT_SECRET;
  upstream.proxy = proxy.proxy;
  upstream.noProxy = proxy.noProxy;
  const storageDir = user.storage?.dir
    ? resolvePath(input.baseDir, user.storage.dir)
    : defaultStateDir(input.env, input.homeDir);

  // Which of the settings the console may change were set at start (file, env or flag): those win
  // over the console's stored choice at the next start.
  const setAtStart: ResolvedConfig["setAtStart"] = {
    floor: user.quota?.floor !== undefined || user.pool?.quota?.defaultFloor !== undefined,
    modelFloors: user.quota?.models !== undefined,
    poolFloors: user.quota?.pools !== undefined,
    fallback: user.models?.fallback !== undefined,
    logLevel: top.logLevel !== undefined,
    bodyLimit: user.bodyLimit !== undefined,
  };
  return {
    setAtStart,
    port: top.port ?? DEFAULTS.port,
    host: top.host ?? DEFAULTS.host,
    ...(top.apiKey !== undefined && { apiKey: top.apiKey }),
    strategy: top.strategy ?? DEFAULTS.strategy,
    logLevel: top.logLevel ?? DEFAULTS.logLevel,
    bodyLimit: user.bodyLimit ?? DEFAULTS.bodyLimit,
    accounts,
    quota: { floor, models: { ...user.quota?.models }, ...(user.quota?.pools !== undefined && { pools: structuredClone(user.quota.pools) }) },
    pool,
    storage: {
      driver: user.storage?.driver ?? DEFAULTS.storage.driver,
      dir: storageDir,
      ...(user.storage?.url !== undefined && { url: user.storage.url }),
      prefix: user.storage?.prefix ?? DEFAULTS.storage.prefix,
      flushIntervalMs: user.storage?.flushIntervalMs ?? DEFAULTS.storage.flushIntervalMs,
    },
    upstream,
    identitySource,
    models: {
      mapping: {
        exact: { ...DEFAULT_MODEL_MAPPING.exact, ...user.models?.exact },
        // User patterns first: they are more specific to the user's needs than the built-ins.
        patterns: [...(user.models?.patterns ?? []), ...DEFAULT_MODEL_MAPPING.patterns],
      },
      fallback: { ...user.models?.fallback },
      alternatives: { ...DEFAULT_MODEL_ALTERNATIVES, ...user.models?.alternatives },
    },
    server: {
      shutdownTimeoutMs: user.server?.shutdownTimeoutMs ?? DEFAULTS.server.shutdownTimeoutMs,
      pingIntervalMs: user.server?.pingIntervalMs ?? DEFAULTS.server.pingIntervalMs,
    },
    images: { model: user.images?.model ?? DEFAULTS.images.model },
    webSearch: {
      model: user.webSearch?.model ?? DEFAULTS.webSearch.model,
      resolveTimeoutMs: user.webSearch?.resolveTimeoutMs ?? DEFAULTS.webSearch.resolveTimeoutMs,
      resolveRedirects: user.webSearch?.resolveRedirects ?? DEFAULTS.webSearch.resolveRedirects,
    },
    security: {
      allowedHosts: (user.security?.allowedHosts ?? []).map((h) => h.toLowerCase()),
      allowedOrigins: (user.security?.allowedOrigins ?? []).map((o) => o.toLowerCase().replace(/\/+$/, "")),
    },
    limits: { ...DEFAULTS.limits, ...user.limits },
    tokenCount: { ...DEFAULTS.tokenCount, ...user.tokenCount },
    requestLog: { ...DEFAULTS.requestLog, ...user.requestLog },
    agentSdkIdentity: { ...DEFAULTS.agentSdkIdentity, ...user.agentSdkIdentity },
  };
}

/**
 * Applies AGCP_USER_AGENT / AGCP_CLIENT_VERSION over the file and says where the identity came from.
 * A version other than the default's drops the default's changelist (it belongs to that build) unless
 * one was configured.
 */
function resolveIdentity(identity: UpstreamIdentity, fromFile: NonNullable<NonNullable<AgcpConfig["upstream"]>["identity"]>, env: ConfigEnv, fileLabel: string): string {
  let source = `the built-in default (agy ${DEFAULT_IDENTITY.version}, as captured)`;
  if (fromFile.version !== undefined) source = `upstream.identity.version in ${fileLabel}`;
  if (env.AGCP_CLIENT_VERSION) {
    identity.version = env.AGCP_CLIENT_VERSION;
    source = "AGCP_CLIENT_VERSION";
  }
  if (fromFile.userAgent) source = `upstream.identity.userAgent in ${fileLabel}`;
  if (env.AGCP_USER_AGENT) {
    identity.userAgent = env.AGCP_USER_AGENT;
    source = "AGCP_USER_AGENT";
  }
  if (identity.version !== DEFAULT_IDENTITY.version && fromFile.changelist === undefined) identity.changelist = "";
  return source;
}

/** True when nobody chose the identity, so a local install's version may stand in. */
export function identityIsDefault(config: ResolvedConfig): boolean {
  return config.identitySource.startsWith("the built-in default");
}
