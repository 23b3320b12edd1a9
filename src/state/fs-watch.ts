import { statSync } from "node:fs";

/**
 * Calls `onChange(name)` when one of the files changes (size or modification time), checked every
 * `intervalMs`. Polling rather than fs.watch: it behaves the same on every platform and file
 * system, survives the temp-file-and-rename writes the fs driver does, and a stat per second is
 * nothing. It is how a running server notices `agcp accounts add` writing the same state folder.
 */
export function watchFiles<N extends string>(files: Record<N, string>, intervalMs: number, onChange: (name: N) => void): () => void {
  const names = Object.keys(files) as N[];
  const seen = new Map<N, string>(names.map((n) => [n, signature(files[n])]));
  const timer = setInterval(() => {
    for (const name of names) {
      const now = signature(files[name]);
      if (now === seen.get(name)) continue;
      seen.set(name, now);
      onChange(name);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

function signature(path: string): string {
  try {
    const s = statSync(path);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return "absent";
  }
}
