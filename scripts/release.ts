/**
 * `npm run release`: cross-compiles agcp for every platform users run it on, into dist/release/
 * as agcp-<os>-<arch>[.exe], and writes SHA256SUMS (checkable with `sha256sum -c`). Bun fetches
 * each target's runtime from the npm registry on first use. Version, commit and target are baked
 * in with --define so `agcp --version` can tell a user exactly which build they run.
 *
 *   bun scripts/release.ts                     # all seven targets
 *   bun scripts/release.ts linux-x64 linux-arm64   # some of them
 *   bun scripts/release.ts host                # this machine's only, as dist/agcp (`npm run build`)
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const REPO = resolve(import.meta.dir, "..");
export const ENTRY = join(REPO, "src/cli/main.ts");

/** Release name → Bun's --target. musl builds run on Alpine and other musl distributions. */
export const TARGETS = {
  "linux-x64": "bun-linux-x64",
  "linux-arm64": "bun-linux-arm64",
  "linux-x64-musl": "bun-linux-x64-musl",
  "linux-arm64-musl": "bun-linux-arm64-musl",
  "darwin-x64": "bun-darwin-x64",
  "darwin-arm64": "bun-darwin-arm64",
  "windows-x64": "bun-windows-x64",
} as const;
export type TargetName = keyof typeof TARGETS;

export function fileName(target: TargetName): string {
  return `agcp-${target}${target.startsWith("windows") ? ".exe" : ""}`;
}

/** The commit being built: CI's, else git's, else "unknown" (a tarball without .git). */
export function currentCommit(): string {
  const fromCi = process.env.GITHUB_SHA;
  if (fromCi) return fromCi.slice(0, 12);
  const git = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: REPO, stdout: "pipe", stderr: "ignore" });
  const sha = git.stdout.toString().trim();
  return git.exitCode === 0 && sha ? sha : "unknown";
}

/**
 * Build flags, shared with the tests so they test what ships. --minify trims the bundled code
 * (the Bun runtime is most of the file); --sourcemap costs about 1 MB and keeps stack traces readable.
 * --bytecode was measured: +5 MB per binary for a faster start, so not used.
 */
export function buildArgs(target: TargetName, outfile: string, commit: string): string[] {
  return [
    "build", "--compile", "--minify", "--sourcemap",
    `--target=${TARGETS[target]}`,
    "--define", `AGCP_BUILD_COMMIT=${JSON.stringify(commit)}`,
    "--define", `AGCP_BUILD_TARGET=${JSON.stringify(target)}`,
    ENTRY, "--outfile", outfile,
  ];
}

export async function buildTarget(target: TargetName, outDir: string, commit = currentCommit()): Promise<string> {
  const outfile = join(outDir, fileName(target));
  const proc = Bun.spawn([process.execPath, ...buildArgs(target, outfile, commit)], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  if (code !== 0) throw new Error(`bun build for ${target} failed (exit ${code}):\n${err || out}`);
  return outfile;
}

export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** `npm run build`: this machine's target only, as dist/agcp (no checksums). */
async function buildHost(): Promise<void> {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const target = `${os}-${process.arch}` as TargetName;
  if (!(target in TARGETS)) throw new Error(`no release target for ${process.platform}/${process.arch}`);
  const outDir = join(REPO, "dist");
  mkdirSync(outDir, { recursive: true });
  const file = await buildTarget(target, outDir);
  const final = join(outDir, target.startsWith("windows") ? "agcp.exe" : "agcp");
  renameSync(file, final);
  console.log(`${final} (${target}, ${(statSync(final).size / 1024 / 1024).toFixed(1)} MiB)`);
}

/** SHA256SUMS in coreutils' format (`<hex>  <name>`), so `sha256sum -c SHA256SUMS` checks the folder. */
export function writeChecksums(dir: string, names: readonly string[]): string {
  const file = join(dir, "SHA256SUMS");
  writeFileSync(file, names.map((n) => `${sha256File(join(dir, n))}  ${n}\n`).join(""));
  return file;
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === "host") return buildHost();
  const wanted = (argv.length ? argv : Object.keys(TARGETS)) as TargetName[];
  for (const t of wanted) if (!(t in TARGETS)) throw new Error(`unknown target ${t}; known: ${Object.keys(TARGETS).join(", ")}`);
  const outDir = join(REPO, "dist", "release");
  mkdirSync(outDir, { recursive: true });
  const commit = currentCommit();
  // One at a time: each build holds the whole bundle in memory, and the targets are downloaded once.
  for (const target of wanted) {
    const started = performance.now();
    const file = await buildTarget(target, outDir, commit);
    const size = statSync(file).size;
    console.log(`${fileName(target).padEnd(26)} ${(size / 1024 / 1024).toFixed(1).padStart(6)} MiB  ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  writeChecksums(outDir, wanted.map(fileName));
  console.log(`dist/release/SHA256SUMS written (check: cd dist/release && sha256sum -c SHA256SUMS); commit ${commit}`);
}

if (import.meta.main) await main(process.argv.slice(2));
