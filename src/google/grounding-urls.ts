/**
 * Google Search grounding hands out redirect links (vertexaisearch.cloud.google.com/grounding-api-redirect/…)
 * instead of the pages themselves. Clients want the real URLs, so each link is asked once — a HEAD
 * that is not followed, reading only its Location — all links at once and within a time bound. A
 * link that does not answer in time, or not with a redirect, stays as it is. Only links that look
 * like grounding redirects are asked: agcp never contacts the result sites themselves.
 */

import type { UpstreamRequestInit } from "../upstream/deadline.ts";

/** Google's redirect path, and the simulator's stand-in for it. */
const REDIRECT_LINK = /\/grounding-(?:api-)?redirect\//;

export interface ResolveOptions {
  /** Overall bound for all links together. */
  timeoutMs: number;
  /** The outbound proxy for a link (URL, or false: direct), as for every other upstream request. */
  proxyFor?: (uri: string) => string | false;
  fetch?: typeof fetch;
}

export function isGroundingRedirect(uri: string): boolean {
  return /^https?:\/\//i.test(uri) && REDIRECT_LINK.test(uri);
}

/** Redirect link → target, for every link that resolved. */
export async function resolveGroundingUrls(uris: readonly string[], options: ResolveOptions): Promise<Map<string, string>> {
  const doFetch = options.fetch ?? fetch;
  const unique = [...new Set(uris.filter(isGroundingRedirect))];
  const resolved = new Map<string, string>();
  if (unique.length === 0) return resolved;
  const signal = AbortSignal.timeout(options.timeoutMs);
  await Promise.all(
    unique.map(async (uri) => {
      const proxy = options.proxyFor?.(uri);
      const target = await locationOf(doFetch, uri, "HEAD", signal, proxy).then((t) => t ?? locationOf(doFetch, uri, "GET", signal, proxy));
      if (target) resolved.set(uri, target);
    }),
  );
  return resolved;
}

async function locationOf(
  doFetch: typeof fetch,
  uri: string,
  method: "HEAD" | "GET",
  signal: AbortSignal,
  proxy: string | false | undefined,
): Promise<string | undefined> {
  if (signal.aborted) return undefined;
  try {
    const init: UpstreamRequestInit = { method, redirect: "manual", signal, ...(proxy !== undefined && { proxy }) };
    const res = await doFetch(uri, init as RequestInit);
    // Nothing of the body is wanted, only the header.
    await res.body?.cancel().catch(() => {});
    const location = res.headers.get("location");
    if (res.status < 300 || res.status >= 400 || !location) return undefined;
    const target = new URL(location, uri);
    return target.protocol === "http:" || target.protocol === "https:" ? target.href : undefined;
  } catch {
    return undefined;
  }
}
