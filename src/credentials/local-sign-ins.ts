/**
 * The sign-ins other programs (agy, the Antigravity desktop app, Gemini CLI) left on the machine
 * agcp runs on: where to look, what each place holds, and one listing of them without secrets.
 * `agcp accounts import` and the console's "import from this machine" both read them here.
 */
import { homedir } from "node:os";
import { AUTO_ORDER, readAllSources, readSource, type CommandRunner, type ImportSource, type SourceOptions } from "./sources.ts";
import { CredentialError, type FoundCredential } from "./types.ts";

/** Whose home and environment the sources are read from; tests give a temp home and a stand-in runner. */
export interface Machine {
  home: string;
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  /** Runs the keyring tools; default: the real commands on PATH. */
  run?: CommandRunner;
}

/** The machine this process runs on, read when asked (not at import time). */
export function thisMachine(): Machine {
  return { home: process.env.HOME || homedir(), platform: process.platform, env: process.env };
}

export function sourceOptions(machine: Machine, file?: string): SourceOptions {
  return { home: machine.home, platform: machine.platform, env: machine.env, ...(machine.run && { run: machine.run }), ...(file !== undefined && { file }) };
}

/** Thrown for a source that needs a file named and got none with `auto`; the caller words it for its users. */
export class SourceChoiceError extends Error {
  override readonly name = "SourceChoiceError";
}

/** What `source` holds; `auto` collects every place and explains each miss when nothing is found. */
export async function findCredentials(source: ImportSource, opts: SourceOptions): Promise<FoundCredential[]> {
  if (source !== "auto") return readSource(source, opts);
  if (opts.file !== undefined) throw new SourceChoiceError("--file needs a source: `agcp accounts import agy|gemini|vscdb|file --file <path>`.");
  const { found, misses } = await readAllSources(opts);
  if (found.length > 0) return found;
  throw new CredentialError(`No Antigravity sign-in found on this machine:\n${misses.map((m) => `  ${m.source}: ${m.reason}`).join("\n")}\nSign in with \`agcp accounts add\` instead.`);
}

/** The places `auto` looks, in its order, as the console offers them. */
export const LOCAL_SOURCES = AUTO_ORDER;
export type LocalSource = (typeof LOCAL_SOURCES)[number];

export const LOCAL_SOURCE_NAMES: Record<LocalSource, string> = {
  agy: "agy (Antigravity CLI) token file",
  keyring: "Antigravity app ≥ 2.0 / agy, in the system keyring",
  gemini: "Gemini CLI",
  vscdb: "Antigravity app before 2.0 (state.vscdb)",
};

/** A sign-in as the listing shows it: never its token. */
export interface ListedSignIn {
  /** The file (or keyring item) it was read from. */
  origin: string;
  email?: string;
  /** The account of the pool that already has this refresh token. */
  inPool?: string;
}

/** One place and what it holds. */
export interface SourceListing {
  source: LocalSource;
  name: string;
  found: ListedSignIn[];
  /** Why the place holds nothing usable (not installed, no file, no refresh token). */
  missing?: string;
}

/**
 * Every place with what it holds. `owner` names the account a found refresh token already belongs
 * to, so the listing can say "already in the pool" without the token leaving this function.
 */
export async function listLocalSignIns(machine: Machine, owner: (refreshToken: string) => string | undefined = () => undefined): Promise<SourceListing[]> {
  const opts = sourceOptions(machine);
  const out: SourceListing[] = [];
  for (const source of LOCAL_SOURCES) {
    const name = LOCAL_SOURCE_NAMES[source];
    try {
      const found = (await readSource(source, opts)).map((f) => {
        const inPool = owner(f.refreshToken);
        return { origin: f.origin, ...(f.email && { email: f.email }), ...(inPool && { inPool }) };
      });
      out.push({ source, name, found });
    } catch (error) {
      if (!(error instanceof CredentialError)) throw error;
      out.push({ source, name, found: [], missing: error.message });
    }
  }
  return out;
}
