/**
 * Release binaries for tests, built with the release script's own flags and cached in
 * dist/test-build/<hash of the sources>/ so a second `npm test` on unchanged code builds nothing.
 * Building is most of the cost of the binary tests; only the targets a test asks for are built.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { buildTarget, fileName, REPO, type TargetName } from "../../scripts/release.ts";

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** Changes whenever anything that goes into the binary changes (code, deps manifest, build script, Bun). */
export function sourceKey(): string {
  const hash = createHash("sha256").update(Bun.version);
  const inputs = [...filesUnder(join(REPO, "src")), join(REPO, "package.json"), join(REPO, "package-lock.json"), join(REPO, "scripts", "release.ts")].sort();
  for (const file of inputs) {
    if (!existsSync(file)) continue;
    hash.update(relative(REPO, file)).update("\0").update(readFileSync(file)).update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

/** The commit baked into test builds: recognisable, and tied to the sources. */
export function testCommit(key = sourceKey()): string {
  return `test${key.slice(0, 8)}`;
}

const CACHE = join(REPO, "dist", "test-build");

/** Path of the target's binary for the current sources, building it when it is not cached. */
export async function releaseBinary(target: TargetName): Promise<string> {
  const key = sourceKey();
  const dir = join(CACHE, key);
  const file = join(dir, fileName(target));
  if (existsSync(file) && statSync(file).size > 0) return file;
  // Older builds are stale once the sources moved on; keep the cache to one generation.
  if (existsSync(CACHE)) for (const old of readdirSync(CACHE)) if (old !== key) rmSync(join(CACHE, old), { recursive: true, force: true });
  const staging = join(CACHE, `${key}.tmp-${process.pid}-${target}`);
  mkdirSync(staging, { recursive: true });
  mkdirSync(dir, { recursive: true });
  try {
    await buildTarget(target, staging, testCommit(key));
    // A rename is atomic: a concurrent run never sees half a binary.
    renameSync(join(staging, fileName(target)), file);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return file;
}

export function hostTarget(): TargetName | undefined {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const name = `${os}-${process.arch}`;
  return ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "windows-x64"].includes(name) ? (name as TargetName) : undefined;
}
