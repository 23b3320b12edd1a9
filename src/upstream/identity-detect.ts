/**
 * Finds the version of an official Antigravity client installed on this machine, so agcp can speak
 * as that client does today without anyone editing a version number: agy (`agy --version`) first,
 * since its User-Agent form is agcp's default, then the desktop app's product.json (`ideVersion`,
 * the number its User-Agent carries; `version` is the VS Code base).
 */
import { existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { IdentityFamily } from "./identity.ts";

export interface DetectedIdentity {
  family: IdentityFamily;
  version: string;
  /** Human words for where it came from, e.g. "agy --version (/usr/local/bin/agy)". */
  source: string;
}

export interface DetectOptions {
  env: Record<string, string | undefined>;
  homeDir: string;
  platform?: string;
  /** product.json files to try, in order. Default: the usual install places for the platform. */
  productJsonPaths?: string[];
  /** Longest wait for `agy --version`. */
  timeoutMs?: number;
}

const VERSION = /(\d+\.\d+\.\d+)/;

export async function detectInstalledIdentity(opts: DetectOptions): Promise<DetectedIdentity | undefined> {
  const agy = findOnPath("agy", opts.env, opts.platform ?? process.platform);
  if (agy) {
    const version = await agyVersion(agy, opts.timeoutMs ?? 3000);
    if (version) return { family: "cli", version, source: `agy --version (${agy})` };
  }
  for (const file of opts.productJsonPaths ?? productJsonPaths(opts.platform ?? process.platform, opts.env, opts.homeDir)) {
    const version = productJsonVersion(file);
    if (version) return { family: "hub", version, source: `ideVersion in ${file}` };
  }
  return undefined;
}

export function productJsonPaths(platform: string, env: Record<string, string | undefined>, homeDir: string): string[] {
  const app = join("resources", "app", "product.json");
  if (platform === "darwin") {
    const bundle = join("Antigravity.app", "Contents", "Resources", "app", "product.json");
    return [join("/Applications", bundle), join(homeDir, "Applications", bundle)];
  }
  if (platform === "win32") {
    const local = env.LOCALAPPDATA ?? join(homeDir, "AppData", "Local");
    return [join(local, "Programs", "Antigravity", app), join(env.ProgramFiles ?? "C:\\Program Files", "Antigravity", app)];
  }
  return [
    join("/usr/share/antigravity", app),
    join("/opt/Antigravity", app),
    join("/opt/antigravity", app),
    join(homeDir, ".local", "share", "antigravity", app),
  ];
}

/** `ideVersion` of a product.json, or undefined when the file is missing or says nothing usable. */
export function productJsonVersion(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const json = JSON.parse(readFileSync(file, "utf8")) as { ideVersion?: unknown };
    return typeof json.ideVersion === "string" ? VERSION.exec(json.ideVersion)?.[1] : undefined;
  } catch {
    return undefined;
  }
}

function findOnPath(name: string, env: Record<string, string | undefined>, platform: string): string | undefined {
  const dirs = (env.PATH ?? env.Path ?? "").split(platform === "win32" ? ";" : delimiter).filter(Boolean);
  const names = platform === "win32" ? [`${name}.exe`, `${name}.cmd`] : [name];
  for (const dir of dirs) for (const n of names) if (existsSync(join(dir, n))) return join(dir, n);
  return undefined;
}

async function agyVersion(path: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const proc = Bun.spawn([path, "--version"], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
    const timer = setTimeout(() => proc.kill(), timeoutMs);
    const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    clearTimeout(timer);
    await proc.exited;
    return VERSION.exec(`${out}\n${err}`)?.[1];
  } catch {
    return undefined;
  }
}
