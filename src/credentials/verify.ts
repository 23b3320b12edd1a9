/**
 * Proving a found sign-in works before it joins the pool: its refresh token is refreshed once,
 * which also finds the account's e-mail when the saved file does not carry it. Shared by
 * `agcp accounts import` and the console's import of this machine's sign-ins.
 */
import { UpstreamError, type UpstreamClient } from "../upstream/index.ts";
import type { FoundCredential } from "./types.ts";

export type Verified =
  | { found: FoundCredential; ok: true; email: string }
  | { found: FoundCredential; ok: false; email?: string; note: string };

/** Why a found token does not work, and what to do; never the token. */
function describeFailure(error: unknown, found: FoundCredential, configuredClient: string): string {
  if (!(error instanceof UpstreamError)) throw error;
  const clientHint =
    found.clientId && found.clientId !== configuredClient
      ? ` It was issued to OAuth client ${found.clientId}, and agcp refreshes with ${configuredClient}: set upstream.oauth.clientId/clientSecret (or AGCP_OAUTH_CLIENT_ID/_SECRET) to that client's values.`
      : "";
  if (error.kind === "auth_revoked") return `the token is revoked or expired; sign in again (agy, the desktop app, or \`agcp accounts add\`).${clientHint}`;
  return `${error.kind}: ${error.message}.${clientHint}`;
}

/** Each found sign-in, refreshed once; one bad token does not stop the others. */
export async function verifyFound(
  upstream: UpstreamClient,
  found: readonly FoundCredential[],
  opts: { configuredClient: string; proxy?: string },
): Promise<Verified[]> {
  const out: Verified[] = [];
  for (const [i, f] of found.entries()) {
    const via = opts.proxy !== undefined ? { proxy: opts.proxy } : {};
    const id = `import-${i}`;
    let email = f.email;
    try {
      const accessToken = await upstream.tokens.get({ id, refreshToken: f.refreshToken, ...via });
      email ??= (await upstream.userinfo(accessToken, via)).email;
      out.push({ found: f, ok: true, email });
    } catch (error) {
      out.push({ found: f, ok: false, ...(email && { email }), note: describeFailure(error, f, opts.configuredClient) });
    } finally {
      // The access token was only the proof; the account gets its own once it serves.
      upstream.tokens.invalidate(id);
    }
  }
  return out;
}
