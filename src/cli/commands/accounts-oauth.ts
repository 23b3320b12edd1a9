/**
 * `agcp accounts add`: Google's installed-app sign-in with PKCE. A loopback server receives the
 * redirect; with --no-browser the user may instead paste the redirect URL (or just the code),
 * which is what works over SSH where the browser runs on another machine.
 */
import { createInterface } from "node:readline";
import { RuntimeFailure } from "../errors.ts";
import {
  buildAuthorizeUrl,
  createOAuthState,
  createPkce,
  readOAuthCallback,
  type UpstreamClient,
  type UpstreamOAuthOptions,
} from "../../upstream/index.ts";

/** The port Antigravity's own sign-in uses; another free one is taken when it is busy. */
export const DEFAULT_CALLBACK_PORT = 51121;
const CALLBACK_PATH = "/oauth-callback";
const DEFAULT_TIMEOUT_MS = 5 * 60_000;

export interface OAuthLoginOptions {
  oauth: Pick<UpstreamOAuthOptions, "authorizeUrl" | "clientId" | "scopes">;
  upstream: Pick<UpstreamClient, "exchangeCode" | "userinfo">;
  /** Callback port to try first; 0 lets the system pick. Default 51121. */
  port?: number;
  /** Try to open the system browser on the authorize URL. */
  openBrowser: boolean;
  /** Accept a pasted redirect URL or code from this stream (one per line). */
  pasteFrom?: NodeJS.ReadableStream;
  /** Prints instructions (the authorize URL is not a secret; it carries only the PKCE challenge). */
  say: (text: string) => void;
  loginHint?: string;
  timeoutMs?: number;
}

export interface OAuthLoginResult {
  email: string;
  refreshToken: string;
}

interface Received {
  code: string;
  /** Absent when the user pasted a bare code. */
  state?: string;
}

const PAGE_STYLE = "font:16px system-ui,sans-serif;max-width:32em;margin:4em auto;padding:0 1em";

function page(title: string, text: string, status = 200): Response {
  const html = `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="${PAGE_STYLE}"><h1>${title}</h1><p>${text}</p></body>`;
  return new Response(html, { status, headers: { "content-type": "text/html; charset=utf-8" } });
}

function listen(port: number, onCallback: (url: URL) => Response) {
  const serve = (p: number) =>
    Bun.serve({
      port: p,
      hostname: "127.0.0.1",
      fetch(req) {
        const url = new URL(req.url);
        return url.pathname === CALLBACK_PATH ? onCallback(url) : page("Not found", "This is agcp's sign-in callback.", 404);
      },
    });
  try {
    return serve(port);
  } catch (error) {
    if ((error as { code?: string }).code !== "EADDRINUSE" || port === 0) throw error;
    return serve(0);
  }
}

/** A pasted line: the whole redirect URL, its query string, or the bare code. */
export function parsePasted(line: string): Received | { error: string } | undefined {
  const text = line.trim();
  if (!text) return undefined;
  if (/^https?:\/\//i.test(text) || text.startsWith("?") || text.includes("code=")) {
    const cb = readOAuthCallback(text.startsWith("http") ? text : `http://localhost/${text.startsWith("?") ? text : `?${text}`}`);
    if (cb.error) return { error: cb.error };
    if (!cb.code) return { error: "no code in the pasted URL" };
    return cb.state !== undefined ? { code: cb.code, state: cb.state } : { code: cb.code };
  }
  if (/\s/.test(text)) return { error: "that does not look like a code or a redirect URL" };
  return { code: text };
}

function openInBrowser(url: string): boolean {
  const cmd =
    process.platform === "darwin" ? ["open", url]
    : process.platform === "win32" ? ["cmd", "/c", "start", "", url]
    : ["xdg-open", url];
  try {
    const child = Bun.spawn(cmd, { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    child.unref();
    return true;
  } catch {
    return false;
  }
}

/** Runs the sign-in to the end and returns the account's e-mail and refresh token. */
export async function oauthLogin(opts: OAuthLoginOptions): Promise<OAuthLoginResult> {
  const pkce = createPkce();
  const state = createOAuthState();
  let settle!: { resolve: (r: Received) => void; reject: (e: Error) => void };
  const received = new Promise<Received>((resolve, reject) => (settle = { resolve, reject }));

  const server = listen(opts.port ?? DEFAULT_CALLBACK_PORT, (url) => {
    const cb = readOAuthCallback(url);
    if (cb.state !== state) return page("Sign-in not recognised", "This link is from another sign-in attempt. Start again with agcp accounts add.", 400);
    if (cb.error || !cb.code) {
      settle.reject(new RuntimeFailure(`Google sign-in failed: ${cb.error ?? "no code in the redirect"}. Run \`agcp accounts add\` again.`));
      return page("Sign-in failed", `Google said: ${cb.error ?? "no code"}. You can close this tab.`, 400);
    }
    settle.resolve({ code: cb.code, state: cb.state });
    return page("Signed in", "agcp received the sign-in. You can close this tab and return to the terminal.");
  });
  const redirectUri = `http://localhost:${server.port}${CALLBACK_PATH}`;
  const authorizeUrl = buildAuthorizeUrl({
    oauth: opts.oauth,
    redirectUri,
    state,
    challenge: pkce.challenge,
    ...(opts.loginHint && { loginHint: opts.loginHint }),
  });

  const opened = opts.openBrowser && openInBrowser(authorizeUrl);
  opts.say(
    opened
      ? `Opening your browser to sign in with Google. If it does not open, visit:\n\n  ${authorizeUrl}\n`
      : `Open this URL in a browser and sign in with Google:\n\n  ${authorizeUrl}\n`,
  );
  let lines: ReturnType<typeof createInterface> | undefined;
  if (opts.pasteFrom) {
    opts.say(`Waiting for the redirect to ${redirectUri} ...\nIf the browser runs on another machine, paste the URL it ends on (or the code) here and press Enter:`);
    lines = createInterface({ input: opts.pasteFrom, terminal: false });
    lines.on("line", (line) => {
      const got = parsePasted(line);
      if (!got) return;
      if ("error" in got) return opts.say(`Not accepted: ${got.error}. Paste the full redirect URL or the code.`);
      if (got.state !== undefined && got.state !== state) return opts.say("That URL is from another sign-in attempt; paste the one from this sign-in.");
      settle.resolve(got);
    });
  } else {
    opts.say(`Waiting for the redirect to ${redirectUri} ...`);
  }

  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timer = setTimeout(
    () => settle.reject(new RuntimeFailure(`No sign-in within ${Math.round(timeoutMs / 1000)} s; run \`agcp accounts add\` again.`)),
    timeoutMs,
  );
  try {
    const { code } = await received;
    const grant = await opts.upstream.exchangeCode(code, pkce.verifier, redirectUri);
    const { email } = await opts.upstream.userinfo(grant.accessToken);
    return { email, refreshToken: grant.refreshToken };
  } finally {
    clearTimeout(timer);
    lines?.close();
    // Let the browser receive its "signed in" page before the server goes away.
    server.stop(false);
  }
}
