/**
 * Upstream token counts, remembered by content for a short time. Claude Code asks count_tokens for
 * the same conversation again and again while deciding whether to compact; one upstream call per
 * distinct content is enough. Bounded twice: entries expire after `ttlMs`, and at most `maxEntries`
 * are kept (the least recently used go first), so memory stays flat however many conversations pass.
 */
export interface TokenCountCache {
  get(key: string): number | undefined;
  set(key: string, count: number): void;
  readonly size: number;
}

export interface TokenCountCacheOptions {
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}

export function createTokenCountCache(options: TokenCountCacheOptions): TokenCountCache {
  const now = options.now ?? Date.now;
  const max = Math.max(1, options.maxEntries);
  const entries = new Map<string, { count: number; expiresAt: number }>();
  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      if (entry.expiresAt <= now()) return undefined;
      entries.set(key, entry);
      return entry.count;
    },
    set(key, count) {
      if (options.ttlMs <= 0) return;
      entries.delete(key);
      entries.set(key, { count, expiresAt: now() + options.ttlMs });
      while (entries.size > max) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
    },
    get size() {
      return entries.size;
    },
  };
}

/** A key for content: the upstream model and the exact JSON upstream would count. */
export function tokenCountKey(model: string, request: unknown): string {
  const json = JSON.stringify(request);
  return `${model}:${json.length.toString(36)}:${new Bun.CryptoHasher("sha256").update(json).digest("hex")}`;
}
