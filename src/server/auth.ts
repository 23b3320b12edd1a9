/**
 * Where a request's key is, and which kind of route it is for. Who the key belongs to, and what
 * it may do, is src/keys' business (the admin key, client keys, or none configured).
 */
import type { H3Event } from "h3";
import type { Caller } from "../keys/types.ts";

/** The key as any of the supported clients send it: Anthropic, OpenAI (Bearer), Gemini (header or ?key=). */
export function presentedKey(headers: Headers, url: URL): string | undefined {
  const value =
    headers.get("x-api-key") ?? bearer(headers.get("authorization")) ?? headers.get("x-goog-api-key") ?? url.searchParams.get("key") ?? undefined;
  return value === null || value === "" ? undefined : value;
}

/** Console data, management and metrics are for the admin; everything else is an API door. */
export function scopeOf(pathname: string): "proxy" | "admin" {
  // Claude Code posts its telemetry batches under /api/ with its own (client) key.
  if (pathname.startsWith("/api/event_logging/")) return "proxy";
  return pathname.startsWith("/api/") || pathname === "/metrics" || pathname === "/account-limits" ? "admin" : "proxy";
}

/** The caller the server's auth step recorded on the event (undefined on open paths). */
export function callerOf(event: H3Event): Caller | undefined {
  return event.context.caller as Caller | undefined;
}

function bearer(value: string | null): string | undefined {
  if (!value) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(value.trim());
  return m?.[1];
}
