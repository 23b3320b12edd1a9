/**
 * `--demo`: point a resolved config at an in-process simulator instead of Google, so agcp can
 * be tried with no account at all.
 */
import type { ResolvedConfig } from "../config/resolve.ts";
import { ANTIGRAVITY_OAUTH_CLIENT } from "../upstream/options.ts";

function demoValue(configured: string, builtIn: string): string {
  return configured && configured !== builtIn ? configured : "agcp-demo";
}

export interface DemoAccount {
  email: string;
  refreshToken: string;
}

/** The config with upstream, OAuth, accounts and storage redirected to the simulator at `simUrl`. */
export function withDemoUpstream(config: ResolvedConfig, simUrl: string, accounts: readonly DemoAccount[]): ResolvedConfig {
  const base = simUrl.replace(/\/+$/, "");
  return {
    ...config,
    accounts: accounts.map((a) => ({ label: a.email, email: a.email, refreshToken: a.refreshToken, enabled: true, quota: { models: {} } })),
    upstream: {
      ...config.upstream,
      hosts: [base],
      oauth: {
        ...config.upstream.oauth,
        tokenUrl: `${base}/token`,
        userinfoUrl: `${base}/oauth2/v1/userinfo`,
        authorizeUrl: `${base}/o/oauth2/v2/auth`,
        // The simulator accepts any client unless told otherwise; the built-in Google client is
        // not sent to it (it is not Google), a configured one is.
        clientId: demoValue(config.upstream.oauth.clientId, ANTIGRAVITY_OAUTH_CLIENT.clientId),
        clientSecret: demoValue(config.upstream.oauth.clientSecret, ANTIGRAVITY_OAUTH_CLIENT.clientSecret),
      },
    },
    // Demo state is fake; never let it leak into the real state directory.
    storage: { ...config.storage, driver: "memory" },
  };
}

/** What to paste to try the proxy: a streaming curl and the Claude Code env vars. */
export function tryItText(proxyUrl: string, hasApiKey: boolean): string {
  const url = proxyUrl.replace(/\/+$/, "");
  const body = JSON.stringify({
    model: "claude-sonnet-4-5",
    max_tokens: 256,
    stream: true,
    messages: [{ role: "user", content: "Say hello in five words." }],
  });
  // The key itself is never printed: terminal output ends up in logs and screen shares.
  const auth = hasApiKey ? ` \\\n    -H "x-api-key: $AGCP_API_KEY"` : "";
  return [
    "Try it:",
    `  curl -N ${url}/v1/messages \\`,
    `    -H 'content-type: application/json' -H 'anthropic-version: 2023-06-01'${auth} \\`,
    `    -d '${body}'`,
    "",
    "Use it from Claude Code:",
    `  export ANTHROPIC_BASE_URL=${url}`,
    `  export ANTHROPIC_AUTH_TOKEN=${hasApiKey ? "<your apiKey>" : "agcp"}`,
    "  claude",
  ].join("\n");
}
