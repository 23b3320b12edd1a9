/**
 * Client keys over the management API (admin only): list with today's use, create (the secret is
 * in this one answer), rotate, revoke, delete. Same store as `agcp keys`.
 */
import { getRouterParam, type H3Event } from "h3";
import { ApiError, invalidRequest } from "../../anthropic/errors.ts";
import { dayOf } from "../../keys/limits.ts";
import { newKeySchema, parseExpiry } from "../../keys/parse.ts";
import { viewOf, type ClientKey } from "../../keys/types.ts";
import { totals } from "../../keys/usage.ts";
import { readJsonBody } from "../body.ts";
import type { Runtime } from "../runtime.ts";

const BODY_LIMIT = 16 * 1024;
const nameOf = (event: H3Event) => getRouterParam(event, "name", { decode: true }) ?? "";

/** Keys with what they used today (limits) and in the last 24 hours (usage). */
export async function keysReport(rt: Runtime, now = Date.now()) {
  const keys = await rt.state.store.keys.list();
  const last24h = totals(await rt.state.store.keys.usage(now - 86_400_000), now - 86_400_000);
  return Promise.all(
    keys.map(async (k: ClientKey) => ({
      ...viewOf(k, now),
      today: await rt.state.store.keyLimiter.today(k.id, now),
      last24h: last24h.get(k.id) ?? { requests: 0, inputTokens: 0, outputTokens: 0, errors: 0 },
    })),
  );
}

export function listKeysHandler(rt: Runtime) {
  return async () => ({ keys: await keysReport(rt), shared: rt.state.store.keyLimitsShared(), day: dayOf(Date.now()) });
}

export function createKeyHandler(rt: Runtime) {
  return async (event: H3Event) => {
    const parsed = newKeySchema.safeParse(await readJsonBody(event, BODY_LIMIT));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw invalidRequest(`${issue.path.join(".") || "body"}: ${issue.message}`);
    }
    const { name, limits, expires } = parsed.data;
    let expiresAt: number | undefined;
    try {
      expiresAt = expires === undefined ? undefined : parseExpiry(expires, Date.now());
    } catch (err) {
      throw invalidRequest(`expires: ${(err as Error).message}`);
    }
    const { key, secret } = await rt.state.store.keys.add({ name, ...(limits && { limits }), ...(expiresAt !== undefined && { expiresAt }) });
    await rt.keys.reload();
    rt.log.info(`Client key "${key.name}" created.`);
    return new Response(JSON.stringify({ key: viewOf(key, Date.now()), secret }), {
      status: 201,
      headers: { "content-type": "application/json", "cache-control": "no-store" },
    });
  };
}

export function keyActionHandler(rt: Runtime, action: "rotate" | "revoke" | "delete") {
  return async (event: H3Event) => {
    const name = nameOf(event);
    const store = rt.state.store.keys;
    if (action === "rotate") {
      const { key, secret } = await store.rotate(name);
      await rt.keys.reload();
      rt.log.info(`Client key "${name}" rotated.`);
      return new Response(JSON.stringify({ key: viewOf(key, Date.now()), secret }), { headers: { "content-type": "application/json", "cache-control": "no-store" } });
    }
    const done = action === "revoke" ? await store.revoke(name) : await store.remove(name);
    if (!done) throw new ApiError("not_found_error", `No key named "${name}".`);
    await rt.keys.reload();
    rt.log.info(`Client key "${name}" ${action === "revoke" ? "revoked" : "deleted"}.`);
    return { ok: true };
  };
}
