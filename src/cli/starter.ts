/**
 * What `agcp init` writes. The config imports only a type from the declaration file next to it
 * (erased at run time), so it type-checks in an editor and runs in the compiled binary with no
 * node_modules anywhere.
 */
export const TYPES_FILE = "agcp.types.ts";
export const CONFIG_FILE = "agcp.config.ts";

export function starterConfig(): string {
  return `// agcp configuration. Every field is optional; hover a key in your editor for its default.
// Types come from ./${TYPES_FILE} (written by \`agcp init\`; safe to regenerate).
// Precedence: command-line flags > AGCP_* environment variables > this file > defaults.
import type { AgcpConfig } from "./${TYPES_FILE}";

export default {
  // port: 8080,
  // host: "127.0.0.1",            // "0.0.0.0" exposes the proxy to your network: set apiKey then
  // apiKey: "change-me",         // clients must send it as x-api-key / Bearer (or env AGCP_API_KEY)
  // Names and browser origins agcp answers to besides localhost, IP addresses and host (reverse proxies):
  // security: { allowedHosts: ["agcp.example.com"], allowedOrigins: ["https://agcp.example.com"] },
  // strategy: "reset-aware",      // "reset-aware" | "hybrid" | "sticky" (best for prompt caching) | "round-robin"
  // logLevel: "info",
  // bodyLimit: 32 * 1024 * 1024,  // bytes; Claude Code sends big contexts with images

  accounts: [
    // Keep refresh tokens out of this file: name the environment variable that holds each one.
    // { email: "you@gmail.com", refreshTokenEnv: "AGCP_TOKEN_1" },
    // { label: "work", email: "you@company.com", refreshTokenEnv: "AGCP_TOKEN_WORK", quota: { floor: 0.2 } },
  ],

  // Accounts at or below this remaining quota fraction are skipped for that model (0 .. 0.99).
  // quota: { floor: 0.05, models: { "claude-opus-5-5-high": 0.1 } },

  // Load-balancing constants; anything left out keeps its default.
  // pool: {
  //   hybrid: { weights: { health: 2, bucket: 5, quota: 3, lru: 0.1 } },
  //   bucket: { max: 50, refillPerMinute: 6 },
  //   sticky: { maxWaitMs: 120_000 },
  // },

  // Where cooldowns and health survive restarts: "fs" (default, ~/.local/state/agcp), "memory", "redis".
  // storage: { driver: "redis", url: "redis://127.0.0.1:6379/0", prefix: "agcp" },

  // Client model name → upstream model; fallback is tried when every account is limited.
  // models: {
  //   exact: { "claude-sonnet-4-5-20250929": "claude-sonnet-5-5-medium" },
  //   patterns: [{ match: "claude-haiku-*", to: "gemini-3.8-flash-low" }],
  //   fallback: { "claude-opus-5-5-high": "claude-sonnet-5-5-high" },
  // },

  // When Google raises its version gate (answers "This version of Antigravity is no longer supported"),
  // raise the identity version here or with AGCP_CLIENT_VERSION.
  // upstream: { identity: { version: "1.3.0" } },

  // Upstream endpoints and OAuth client (default: the Antigravity desktop app's public client).
  // upstream: { oauth: { clientId: "…", clientSecret: "…" } },

  // server: { shutdownTimeoutMs: 10_000, pingIntervalMs: 10_000 },

  // Claude Code's WebSearch runs as Google Search grounding on this model (README: Web search).
  // webSearch: { model: "gemini-3.1-flash-lite", resolveTimeoutMs: 2_000 },
} satisfies AgcpConfig;
`;
}
