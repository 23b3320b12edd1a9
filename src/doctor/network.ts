/** The listening port, the outbound proxies and the clock, each checked the cheapest way that tells. */
import { connect, createServer } from "node:net";
import type { ResolvedConfig } from "../config/resolve.ts";
import { DIRECT, proxyFor, redactProxyUrl } from "../upstream/proxy.ts";
import type { Finding } from "./types.ts";

/** Can `agcp start` listen there? When not, is it an agcp already (its /health says so)? */
export async function checkPort(host: string, port: number, fetchImpl: typeof fetch = fetch): Promise<Finding[]> {
  const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const srv = createServer();
    srv.once("error", (e) => resolve(e as NodeJS.ErrnoException));
    srv.listen(port, host, () => srv.close(() => resolve(undefined)));
  });
  if (!error) return [{ check: "port", status: "ok", message: `${host}:${port} is free for agcp start.` }];
  if (error.code === "EADDRINUSE") {
    const shownHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
    const health = await fetchImpl(`http://${shownHost}:${port}/health`, { signal: AbortSignal.timeout(2_000) })
      .then(async (r) => (r.ok ? ((await r.json()) as { version?: unknown }) : undefined))
      .catch(() => undefined);
    if (health && typeof health.version === "string") {
      return [{ check: "port", status: "ok", message: `${host}:${port} is served by a running agcp ${health.version}.` }];
    }
    return [{ check: "port", status: "fail", message: `${host}:${port} is taken by another program.`, fix: "Stop that program, or choose another port: --port, AGCP_PORT or `port` in the config." }];
  }
  if (error.code === "EACCES") {
    return [{ check: "port", status: "fail", message: `Not allowed to listen on ${host}:${port}.`, fix: "Use a port above 1023 (--port / AGCP_PORT)." }];
  }
  return [{ check: "port", status: "fail", message: `Cannot listen on ${host}:${port}: ${error.code ?? error.message}.`, fix: "Check `host` (an address of this machine) and `port`." }];
}

function tcpReachable(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (problem?: string) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    socket.once("connect", () => done());
    socket.once("error", (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

/** Every distinct proxy in use, with the accounts that use it; reachable at TCP level? */
export async function checkProxies(config: ResolvedConfig, accounts: ReadonlyArray<{ label: string; proxy?: string }>, timeoutMs = 3_000): Promise<Finding[]> {
  const users = new Map<string, string[]>();
  const add = (proxy: string, who: string) => users.set(proxy, [...(users.get(proxy) ?? []), who]);
  for (const a of accounts) {
    const p = proxyFor(config.upstream.hosts[0] ?? "https://cloudcode-pa.googleapis.com", a.proxy, config.upstream);
    if (p) add(p, a.label);
  }
  if (config.upstream.proxy && config.upstream.proxy !== DIRECT && !users.has(config.upstream.proxy)) add(config.upstream.proxy, "sign-in");
  const findings: Finding[] = [];
  for (const [proxy, who] of users) {
    const shown = redactProxyUrl(proxy);
    const url = new URL(proxy);
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    const problem = await tcpReachable(url.hostname.replace(/^\[|\]$/g, ""), port, timeoutMs);
    findings.push(
      problem
        ? { check: "proxy", subject: shown, status: "fail", message: `Proxy ${shown} (used by ${who.join(", ")}) cannot be reached: ${problem}.`, fix: "Start the proxy, or correct upstream.proxy / accounts[].proxy / HTTPS_PROXY." }
        : { check: "proxy", subject: shown, status: "ok", message: `Proxy ${shown} is reachable (used by ${who.join(", ")}).` },
    );
  }
  if (findings.length === 0) findings.push({ check: "proxy", status: "ok", message: "No outbound proxy configured (upstream.proxy, accounts[].proxy, HTTPS_PROXY): direct connections." });
  return findings;
}

/** Token lifetimes and reset times are absolute: a clock far off makes agcp refresh too late or wait wrongly. */
export function clockFinding(localMs: number, dateHeader: string | null, source: string): Finding {
  const remote = dateHeader ? Date.parse(dateHeader) : Number.NaN;
  if (Number.isNaN(remote)) return { check: "clock", status: "warn", message: `${source} sent no usable Date header; clock skew unknown.`, fix: "Keep the clock synced (timedatectl set-ntp true)." };
  const skewS = Math.round((localMs - remote) / 1000);
  const abs = Math.abs(skewS);
  // The Date header has one-second resolution, so a couple of seconds is noise.
  if (abs <= 30) return { check: "clock", status: "ok", message: `Clock is within ${Math.max(abs, 1)} s of ${source}.` };
  const text = `This machine's clock is ${abs} s ${skewS > 0 ? "ahead of" : "behind"} ${source}.`;
  const fix = "Sync the clock: timedatectl set-ntp true (Linux), sntp -sS time.apple.com (macOS), w32tm /resync (Windows).";
  return { check: "clock", status: abs > 300 ? "fail" : "warn", message: text, fix };
}

export async function checkClock(config: ResolvedConfig, fetchImpl: typeof fetch = fetch, now: () => number = Date.now): Promise<Finding[]> {
  const host = config.upstream.hosts[0];
  if (!host) return [];
  const proxy = proxyFor(host, undefined, config.upstream);
  try {
    const sent = now();
    const res = await fetchImpl(`${host}/`, { method: "GET", signal: AbortSignal.timeout(5_000), proxy } as RequestInit);
    await res.arrayBuffer().catch(() => {});
    // Halfway through the round trip is when the server stamped it, near enough.
    const mid = sent + (now() - sent) / 2;
    return [clockFinding(mid, res.headers.get("date"), new URL(host).host)];
  } catch (error) {
    return [{ check: "clock", status: "warn", message: `Could not reach ${new URL(host).host} to compare clocks: ${(error as Error).message}.`, fix: "See the account and proxy findings; check the network." }];
  }
}
