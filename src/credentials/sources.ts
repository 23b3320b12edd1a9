/**
 * Where Google sign-ins of the Antigravity family live, per program and OS, and how to read each
 * one. Every path can be overridden (`--file`) and the keyring tools are run as commands found
 * on PATH, so tests use temp files and stand-in scripts.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readTokenJson } from "./token-json.ts";
import { CredentialError, type FoundCredential } from "./types.ts";

export const IMPORT_SOURCES = ["auto", "agy", "gemini", "keyring", "secret-service", "keychain", "vscdb", "file"] as const;
export type ImportSource = (typeof IMPORT_SOURCES)[number];

/** Runs a command; undefined when it is not installed. */
export type CommandRunner = (argv: string[]) => Promise<{ code: number; stdout: string; stderr: string } | undefined>;

export interface SourceOptions {
  home: string;
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  /** Overrides the source's default location (required for "file"). */
  file?: string;
  run?: CommandRunner;
}

/** The go-keyring item the desktop app ≥ 2.0 and agy share. */
export const KEYRING_SERVICE = "gemini";
export const KEYRING_ACCOUNT = "antigravity";

export function agyTokenPath(home: string): string {
  return join(home, ".gemini", "antigravity-cli", "antigravity-oauth-token");
}

export function geminiCredsPath(home: string): string {
  return join(home, ".gemini", "oauth_creds.json");
}

/** Where the pre-2.0 desktop app kept state.vscdb, per OS (both product folder names). */
export function vscdbPaths(home: string, platform: NodeJS.Platform, env: Record<string, string | undefined>): string[] {
  const tail = ["User", "globalStorage", "state.vscdb"];
  const bases =
    platform === "darwin" ? [join(home, "Library", "Application Support")]
    : platform === "win32" ? [env.APPDATA ?? join(home, "AppData", "Roaming")]
    : [env.XDG_CONFIG_HOME || join(home, ".config")];
  return bases.flatMap((base) => ["Antigravity", "Antigravity IDE"].map((product) => join(base, product, ...tail)));
}

export const defaultRunner: CommandRunner = async (argv) => {
  let proc;
  try {
    proc = Bun.spawn(argv, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  } catch {
    return undefined;
  }
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
};

function readFile(path: string, what: string): string {
  if (!existsSync(path)) throw new CredentialError(`No ${what} at ${path}.`);
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new CredentialError(`Cannot read ${path}: ${(error as Error).message}`);
  }
}

/** Gemini CLI's files name the active account separately from the token. */
function activeGeminiAccount(home: string): string | undefined {
  try {
    const doc = JSON.parse(readFileSync(join(home, ".gemini", "google_accounts.json"), "utf8")) as { active?: unknown };
    return typeof doc.active === "string" && doc.active.includes("@") ? doc.active : undefined;
  } catch {
    return undefined;
  }
}

async function fromKeyring(argv: string[], tool: string, origin: string, run: CommandRunner): Promise<FoundCredential[]> {
  const result = await run(argv);
  if (!result) throw new CredentialError(`\`${argv[0]}\` is not installed, so the ${tool} cannot be read${tool === "Secret Service" ? " (Debian/Ubuntu: apt install libsecret-tools)" : ""}.`);
  if (result.code !== 0 || !result.stdout.trim()) {
    throw new CredentialError(`No Antigravity sign-in in the ${tool} (service "${KEYRING_SERVICE}", account "${KEYRING_ACCOUNT}"): sign in with agy or the desktop app first.`);
  }
  return readTokenJson(result.stdout, origin);
}

function secretService(run: CommandRunner) {
  return fromKeyring(["secret-tool", "lookup", "service", KEYRING_SERVICE, "username", KEYRING_ACCOUNT], "Secret Service", "the Secret Service item gemini/antigravity", run);
}

function keychain(run: CommandRunner) {
  return fromKeyring(
    ["security", "find-generic-password", "-s", KEYRING_SERVICE, "-a", KEYRING_ACCOUNT, "-w"],
    "macOS keychain",
    "the keychain item gemini/antigravity",
    run,
  );
}

/** SQLite is loaded only when a vscdb is read: every other start of agcp would pay for it. */
const vscdb = () => import("./vscdb.ts");

/** Every sign-in one source holds; CredentialError says why there is none. */
export async function readSource(source: Exclude<ImportSource, "auto">, opts: SourceOptions): Promise<FoundCredential[]> {
  const run = opts.run ?? defaultRunner;
  switch (source) {
    case "agy": {
      const path = opts.file ?? agyTokenPath(opts.home);
      return readTokenJson(readFile(path, "agy token file"), path);
    }
    case "gemini": {
      const path = opts.file ?? geminiCredsPath(opts.home);
      const found = readTokenJson(readFile(path, "Gemini CLI credentials file"), path);
      const active = opts.file === undefined ? activeGeminiAccount(opts.home) : undefined;
      return found.map((f) => (f.email || !active ? f : { ...f, email: active }));
    }
    case "secret-service":
      return secretService(run);
    case "keychain":
      return keychain(run);
    case "keyring":
      if (opts.platform === "darwin") return keychain(run);
      if (opts.platform === "win32") {
        throw new CredentialError(
          "agcp cannot read the Windows Credential Manager. Sign in with `agcp accounts add`, or run `agy` once with a token file and import it with `agcp accounts import agy --file <path>`.",
        );
      }
      return secretService(run);
    case "vscdb": {
      if (opts.file !== undefined) {
        if (!existsSync(opts.file)) throw new CredentialError(`No state.vscdb at ${opts.file}.`);
        return [(await vscdb()).readVscdb(opts.file)];
      }
      const candidates = vscdbPaths(opts.home, opts.platform, opts.env);
      const path = candidates.find((p) => existsSync(p));
      if (!path) throw new CredentialError(`No state.vscdb of an Antigravity desktop app before 2.0 (looked in ${candidates.join(", ")}).`);
      return [(await vscdb()).readVscdb(path)];
    }
    case "file": {
      if (opts.file === undefined) throw new CredentialError("Name the file to import with --file.");
      return readTokenJson(readFile(opts.file, "file"), opts.file);
    }
  }
}

/** The order `auto` tries: the newest places first. */
export const AUTO_ORDER = ["agy", "keyring", "gemini", "vscdb"] as const;

export interface AutoResult {
  found: FoundCredential[];
  /** Why each source gave nothing, in the order tried. */
  misses: Array<{ source: string; reason: string }>;
}

/** Tries every place; the same refresh token found twice counts once. */
export async function readAllSources(opts: Omit<SourceOptions, "file">): Promise<AutoResult> {
  const found: FoundCredential[] = [];
  const misses: AutoResult["misses"] = [];
  const seen = new Set<string>();
  for (const source of AUTO_ORDER) {
    try {
      for (const f of await readSource(source, opts)) {
        if (seen.has(f.refreshToken)) continue;
        seen.add(f.refreshToken);
        found.push(f);
      }
    } catch (error) {
      if (!(error instanceof CredentialError)) throw error;
      misses.push({ source, reason: error.message });
    }
  }
  return { found, misses };
}
