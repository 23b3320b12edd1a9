/** agcp with an admin key and client keys, over real HTTP, with the official SDK as the client. */
import Anthropic from "@anthropic-ai/sdk";
import type { Stack } from "../support/stack.ts";

export const ADMIN = "admin-key-for-tests";

export async function api(stack: Stack, path: string, init: { method?: string; body?: unknown; key?: string } = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${stack.url}${path}`, {
    method: init.method ?? (init.body !== undefined ? "POST" : "GET"),
    headers: { "content-type": "application/json", "x-api-key": init.key ?? ADMIN },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body, headers: res.headers };
}

export async function createKey(stack: Stack, name: string, limits: object = {}): Promise<string> {
  const r = await api(stack, "/api/keys", { body: { name, limits } });
  if (r.status !== 201) throw new Error(`create key ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.secret as string;
}

export function clientFor(stack: Stack, secret: string): Anthropic {
  return new Anthropic({ baseURL: stack.url, apiKey: secret, maxRetries: 0 });
}

/** One small request: "ok", or the error's status, type and message. */
export async function ask(client: Anthropic, model = "claude-sonnet-4-6"): Promise<{ ok: true } | { ok: false; status: number; message: string; retryAfter: string | null }> {
  try {
    await client.messages.create({ model, max_tokens: 16, messages: [{ role: "user", content: "hi" }] });
    return { ok: true };
  } catch (err) {
    const e = err as { status?: number; message?: string; headers?: Headers | Record<string, string> };
    const headers = e.headers;
    const retryAfter = headers instanceof Headers ? headers.get("retry-after") : (headers?.["retry-after"] ?? null);
    return { ok: false, status: e.status ?? 0, message: e.message ?? String(err), retryAfter };
  }
}
