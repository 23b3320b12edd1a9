/**
 * Adding accounts from the console: Google sign-in with the same installed-app OAuth + PKCE flow
 * as `agcp accounts add`, with agcp's own /oauth-callback as the loopback redirect (a paste of the
 * final URL or code finishes it when the browser runs on another machine), import of an
 * `agcp accounts export` file, export, and removal.
 */
import { randomBytes } from "node:crypto";
import type { H3Event } from "h3";
import { getRouterParam } from "h3";
import { z } from "zod";
import { ApiError, invalidRequest } from "../../anthropic/errors.ts";
import { buildExport, readExportDocument, type ExportInput } from "../../credentials/export.ts";
import { buildAuthorizeUrl, createOAuthState, createPkce, readOAuthCallback } from "../../upstream/oauth.ts";
import { parseBody, readJsonBody } from "../body.ts";
import type { Runtime } from "../runtime.ts";

export const CALLBACK_PATH = "/oauth-callback";
const PENDING_TTL_MS = 10 * 60_000;
const BODY_LIMIT = 1024 * 1024;

interface Pending {
  verifier: string;
  redirectUri: string;
  label?: string;
  expiresAt: number;
}

/** Sign-ins started from the console, by `state`; bounded and short-lived. */
const pendingByRuntime = new WeakMap<Runtime, Map<string, Pending>>();
function pendingOf(rt: Runtime): Map<string, Pending> {
  let m = pendingByRuntime.get(rt);
  if (!m) pendingByRuntime.set(rt, (m = new Map()));
  const now = Date.now();
  for (const [k, p] of m) if (p.expiresAt <= now) m.delete(k);
  return m;
}

const startBody = z.object({ label: z.string().min(1).max(200).optional(), email: z.string().max(320).optional() }).strict();
const finishBody = z.object({ pasted: z.string().min(1).max(8192) }).strict();

/** POST /api/accounts/sign-in: the Google URL to open; the redirect comes back to this server. */
export function startSignInHandler(rt: Runtime) {
  return async (event: H3Event) => {
    const { label, email } = parseBody(startBody, await readJsonBody(event, 16 * 1024).catch(() => ({})));
    const oauth = rt.config.upstream.oauth;
    if (!oauth.clientId) throw new ApiError("invalid_request_error", "No OAuth client is configured (upstream.oauth.clientId); see the README's real-account quick start.");
    const pkce = createPkce();
    const state = createOAuthState();
    // Google lets installed apps redirect to any loopback port: this server's own.
    const redirectUri = `http://localhost:${event.url.port || (event.url.protocol === "https:" ? 443 : 80)}${CALLBACK_PATH}`;
    const pending = pendingOf(rt);
    if (pending.size >= 100) throw new ApiError("rate_limit_error", "Too many sign-ins in progress; finish or wait for one to expire (10 minutes).");
    pending.set(state, { verifier: pkce.verifier, redirectUri, ...(label && { label }), expiresAt: Date.now() + PENDING_TTL_MS });
    const url = buildAuthorizeUrl({ oauth, redirectUri, state, challenge: pkce.challenge, ...(email && { loginHint: email }) });
    return { url, state, redirectUri, expiresInMs: PENDING_TTL_MS };
  };
}

async function complete(rt: Runtime, state: string | undefined, code: string | undefined) {
  const p = state ? pendingOf(rt).get(state) : undefined;
  if (!p || !state) throw invalidRequest("This sign-in is unknown or expired; start it again from the console.");
  if (!code) throw invalidRequest("The redirect carried no code.");
  pendingOf(rt).delete(state);
  const grant = await rt.upstream.exchangeCode(code, p.verifier, p.redirectUri);
  const { email } = await rt.upstream.userinfo(grant.accessToken);
  const account = await rt.state.accounts.add({ label: p.label ?? email, email, refreshToken: grant.refreshToken });
  rt.log.info(`Account ${account.label} signed in from the console.`);
  return account;
}

/** GET /oauth-callback: where Google sends the browser back; no API key (the state ties it to a sign-in). */
export function signInCallbackHandler(rt: Runtime) {
  return async (event: H3Event) => {
    const cb = readOAuthCallback(event.url);
    let title: string;
    let text: string;
    let status = 200;
    if (cb.error) {
      if (cb.state) pendingOf(rt).delete(cb.state);
      [title, text, status] = ["Sign-in failed", `Google said: ${cb.error}. Start again from the console.`, 400];
    } else {
      try {
        const account = await complete(rt, cb.state, cb.code);
        [title, text] = ["Signed in", `${account.label} is now in the pool. You can close this tab.`];
      } catch (err) {
        [title, text, status] = ["Sign-in failed", (err as Error).message, 400];
      }
    }
    const html = `<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>agcp · ${title}</title><body style="font:15px system-ui;margin:40px"><h1 style="font-size:20px">${title}</h1><p>${escapeHtml(text)}</p></body>`;
    return new Response(html, { status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "referrer-policy": "no-referrer" } });
  };
}

/** POST /api/accounts/sign-in/finish: the pasted final URL (or code) when the redirect could not reach this server. */
export function finishSignInHandler(rt: Runtime) {
  return async (event: H3Event) => {
    const { pasted } = parseBody(finishBody, await readJsonBody(event, 16 * 1024));
    const text = pasted.trim();
    let cb: { code?: string; state?: string };
    if (/^https?:\/\//i.test(text)) cb = readOAuthCallback(text);
    else {
      // A bare code: only unambiguous when a single sign-in is waiting.
      const waiting = [...pendingOf(rt).keys()];
      if (waiting.length !== 1) throw invalidRequest("Paste the whole URL the browser ended on (several sign-ins are waiting).");
      cb = { code: text, ...(waiting[0] !== undefined && { state: waiting[0] }) };
    }
    const account = await complete(rt, cb.state, cb.code);
    return { account };
  };
}

const importBody = z.object({ document: z.record(z.string(), z.unknown()) }).strict();

/** POST /api/accounts/import: an `agcp accounts export --include-tokens` file, uploaded. */
export function importAccountsHandler(rt: Runtime) {
  return async (event: H3Event) => {
    const { document } = parseBody(importBody, await readJsonBody(event, BODY_LIMIT));
    let found;
    try {
      found = readExportDocument(document, "uploaded file");
    } catch (err) {
      throw invalidRequest(`document: ${(err as Error).message}`);
    }
    const usable = found.filter((f) => f.refreshToken);
    const configured = new Set(rt.config.accounts.map((a) => a.label));
    if (usable.length === 0) throw invalidRequest("document: no account in it has a refresh token (export with --include-tokens).");
    const added = [];
    for (const f of usable) {
      const label = f.label ?? f.email ?? `imported-${randomBytes(3).toString("hex")}`;
      // An account of the config file stays the file's business.
      if (configured.has(label)) continue;
      added.push(await rt.state.accounts.add({ label, ...(f.email && { email: f.email }), refreshToken: f.refreshToken, ...(f.projectId && { projectId: f.projectId }) }));
    }
    rt.log.info(`Imported ${added.length} account(s) from an uploaded file.`);
    return { added };
  };
}

/** GET /api/accounts/export[?tokens=1]: the same file `agcp accounts export` writes. */
export function exportAccountsHandler(rt: Runtime) {
  return async (event: H3Event) => {
    const withTokens = event.url.searchParams.get("tokens") === "1";
    const listed = await rt.state.accounts.list();
    const stored = new Map((await rt.state.store.accounts.list()).map((a) => [a.label, a]));
    const inputs: ExportInput[] = listed.map((a) => ({
      label: a.label,
      ...(a.email && { email: a.email }),
      ...(a.projectId && { projectId: a.projectId }),
      enabled: a.enabled,
      source: a.source,
      refreshToken: stored.get(a.label)?.refreshToken ?? rt.credentials.get(a.label)?.refreshToken ?? "",
    }));
    const doc = buildExport(inputs, withTokens, Date.now());
    if (withTokens) rt.log.info("Accounts exported with their refresh tokens from the console.");
    return new Response(JSON.stringify(doc, null, 2), {
      headers: { "content-type": "application/json", "content-disposition": `attachment; filename="agcp-accounts.json"`, "cache-control": "no-store" },
    });
  };
}

/** DELETE /api/accounts/:id: removes an account added at run time (config accounts: edit the file). */
export function removeAccountHandler(rt: Runtime) {
  return async (event: H3Event) => {
    const id = getRouterParam(event, "id", { decode: true }) ?? "";
    if (!(await rt.state.accounts.remove(id))) throw new ApiError("not_found_error", `account: ${JSON.stringify(id)} not found`);
    rt.log.info(`Account ${id} removed from the console.`);
    return { ok: true };
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
