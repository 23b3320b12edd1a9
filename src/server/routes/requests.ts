/**
 * The request log for scripts and the console: `GET /api/requests` (newest first, filterable) and
 * `GET /api/requests/live` (server-sent events, one per new request), and the usage history,
 * `GET /api/usage?range=24h|7d|30d`.
 */
import type { H3Event } from "h3";
import { invalidRequest } from "../../anthropic/errors.ts";
import type { RequestEntry } from "../request-log.ts";
import type { Runtime } from "../runtime.ts";
import { isUsageRange } from "../usage-history.ts";

export function listRequestsHandler(rt: Runtime) {
  return (event: H3Event) => {
    const q = event.url.searchParams;
    const limitText = q.get("limit");
    const limit = limitText === null ? 100 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1) throw invalidRequest(`limit: expected a whole number ≥ 1, found ${JSON.stringify(limitText)}`);
    const status = q.get("status") ?? undefined;
    if (status !== undefined && status !== "ok" && status !== "error" && !/^\d{3}$/.test(status)) {
      throw invalidRequest(`status: expected "ok", "error" or a status code, found ${JSON.stringify(status)}`);
    }
    const requests = rt.requests.list({
      ...(q.get("account") && { account: q.get("account") as string }),
      ...(q.get("model") && { model: q.get("model") as string }),
      ...(status && { status }),
      limit,
    });
    return { size: rt.requests.size, requests };
  };
}

/** SSE: each new request as one `data:` line; a comment every 15 s keeps proxies from closing it. */
export function liveRequestsHandler(rt: Runtime) {
  return (event: H3Event) => {
    const encoder = new TextEncoder();
    let stop = () => {};
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const send = (text: string) => {
          try {
            controller.enqueue(encoder.encode(text));
          } catch {
            stop();
          }
        };
        const unsubscribe = rt.requests.subscribe((e: RequestEntry) => send(`data: ${JSON.stringify(e)}\n\n`));
        const ping = setInterval(() => send(": ping\n\n"), 15_000);
        stop = () => {
          unsubscribe();
          clearInterval(ping);
        };
        event.req.signal.addEventListener("abort", () => {
          stop();
          try {
            controller.close();
          } catch {}
        });
        send(": live\n\n");
      },
      cancel() {
        stop();
      },
    });
    return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" } });
  };
}

export function usageHandler(rt: Runtime) {
  return async (event: H3Event) => {
    const range = event.url.searchParams.get("range") ?? "24h";
    if (!isUsageRange(range)) throw invalidRequest(`range: expected "24h", "7d" or "30d", found ${JSON.stringify(range)}`);
    const report = await rt.usage.report(range);
    if (Object.keys(report.byKey).length === 0) return report;
    // Keys are counted by their public id; people know them by name (a removed key keeps its id).
    const names = new Map((await rt.state.store.keys.list()).map((k) => [k.id, k.name]));
    report.byKey = Object.fromEntries(Object.entries(report.byKey).map(([id, buckets]) => [names.get(id) ?? `removed key ${id}`, buckets]));
    return report;
  };
}
