/**
 * Finding and importing the config file (c12), then handing it to resolveConfig.
 *
 * c12's default importer (jiti) cannot transform TypeScript inside a `bun build --compile`
 * binary (its babel chunk is not embedded), so config modules are imported with Bun's native
 * `import()`, which transpiles TS at run time everywhere. Side effect: Bun caches modules by
 * path, so a given file is read once per process.
 */
import { loadConfig as c12LoadConfig } from "c12";
import type { Jiti } from "jiti";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError } from "./errors.ts";
import { DEFAULT_IDENTITY } from "../upstream/identity.ts";
import { detectInstalledIdentity, type DetectedIdentity, type DetectOptions } from "../upstream/identity-detect.ts";
import { identityIsDefault, resolveConfig, type ConfigEnv, type ConfigFlags, type ResolvedConfig } from "./resolve.ts";

export type { ConfigEnv, ConfigFlags, ResolvedConfig } from "./resolve.ts";

export interface LoadConfigOptions {
  /** Where to look for `agcp.config.*`. Default: process.cwd(). */
  cwd?: string;
  /** Explicit file (flag --config); wins over env AGCP_CONFIG. Must exist. */
  configFile?: string;
  flags?: ConfigFlags;
  env: ConfigEnv;
  /** Default: os.homedir(). */
  homeDir?: string;
  /** Do not resolve accounts (their env vars may be unset); `accounts` comes back empty. */
  skipAccounts?: boolean;
  /** Finds a local Antigravity client's version (default: agy on PATH, then the desktop app's product.json). */
  detectIdentity?: (opts: DetectOptions) => Promise<DetectedIdentity | undefined>;
}

export interface LoadedConfig {
  config: ResolvedConfig;
  /** Absolute path of the file used, if any. */
  configFile?: string;
}

/** Thrown by the importer; carries what went wrong in the file's own terms. */
class ImportFailure extends Error {
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function describeLoadError(error: unknown): string {
  const parts: string[] = [];
  const collect = (e: unknown) => {
    if (e instanceof AggregateError && e.errors.length > 0) {
      for (const inner of e.errors) collect(inner);
      return;
    }
    if (e && typeof e === "object") {
      const err = e as { name?: string; message?: string; position?: { line?: number; column?: number } | null };
      const where = err.position?.line ? ` (line ${err.position.line}, column ${err.position.column ?? 0})` : "";
      // BuildMessage is Bun's parse error; anything else was thrown by the file's own code.
      const kind = e.constructor?.name === "BuildMessage" ? "a syntax error: " : e.constructor?.name === "ResolveMessage" ? "" : `${err.name ?? "Error"}: `;
      parts.push(`${kind}${err.message ?? String(e)}${where}`);
      return;
    }
    parts.push(String(e));
  };
  collect(error);
  return parts.join("; ");
}

async function importConfigModule(file: string): Promise<unknown> {
  let mod: Record<string, unknown>;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (error) {
    throw new ImportFailure(file, describeLoadError(error), { cause: error });
  }
  if (!("default" in mod)) throw new ImportFailure(file, "no default export (write `export default { ... }`)");
  const value = mod.default;
  // c12 pokes at `$meta` on the result, so a non-object must not reach it.
  if (typeof value === "function") {
    // c12 calls config functions itself; keep their failures attributed to this file.
    return async (...args: unknown[]) => {
      try {
        return await (value as (...a: unknown[]) => unknown)(...args);
      } catch (error) {
        throw new ImportFailure(file, describeLoadError(error), { cause: error });
      }
    };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ImportFailure(file, `a default export that is not an object (${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value})`);
  }
  return value;
}

function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : file;
}

export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const explicit = options.configFile ?? (options.env.AGCP_CONFIG || undefined);
  const fileLabelFor = (file: string) => displayPath(file, cwd);

  if (explicit !== undefined && !existsSync(resolve(cwd, explicit))) {
    throw new ConfigError(
      [{ path: "", expected: "an existing config file", found: "no such file", origin: "file" }],
      fileLabelFor(resolve(cwd, explicit)),
    );
  }

  let loaded: Awaited<ReturnType<typeof c12LoadConfig>>;
  const importer = { import: (id: string) => importConfigModule(id) } as unknown as Jiti;
  try {
    loaded = await c12LoadConfig({
      name: "agcp",
      cwd,
      ...(explicit !== undefined && { configFile: resolve(cwd, explicit) }),
      // Only the one config file: no rc files, package.json keys, .env loading, layers or remote sources.
      rcFile: false,
      globalRc: false,
      packageJson: false,
      dotenv: false,
      envName: false,
      extend: false,
      giget: false,
      jiti: importer,
    });
  } catch (error) {
    const file = error instanceof ImportFailure ? error.file : undefined;
    const label = file ? fileLabelFor(file) : explicit !== undefined ? fileLabelFor(resolve(cwd, explicit)) : "agcp.config";
    const found = error instanceof Error ? error.message : String(error);
    throw new ConfigError([{ path: "", expected: "a config file that loads", found, origin: "file" }], label, {
      cause: error,
    });
  }

  const configFile = loaded._configFile;
  const fileLabel = configFile ? fileLabelFor(configFile) : undefined;
  const config = resolveConfig({
    ...(configFile !== undefined && { file: loaded.config }),
    ...(fileLabel !== undefined && { fileLabel }),
    baseDir: configFile ? dirname(configFile) : cwd,
    env: options.env,
    flags: options.flags ?? {},
    homeDir: options.homeDir ?? homedir(),
    ...(options.skipAccounts && { skipAccounts: true }),
  });
  await adoptInstalledIdentity(config, options);
  return { config, ...(configFile !== undefined && { configFile }) };
}

/**
 * Nobody configured a version: speak as the official client installed here, if any, since that is
 * what upstream accepts from this user today (installs update themselves).
 */
async function adoptInstalledIdentity(config: ResolvedConfig, options: LoadConfigOptions): Promise<void> {
  const identity = config.upstream.identity;
  if (!identity.detect || !identityIsDefault(config)) return;
  const detect = options.detectIdentity ?? detectInstalledIdentity;
  const found = await detect({ env: options.env, homeDir: options.homeDir ?? homedir() }).catch(() => undefined);
  if (!found) return;
  identity.family = found.family;
  identity.version = found.version;
  if (found.version !== DEFAULT_IDENTITY.version) identity.changelist = "";
  config.identitySource = found.source;
}
