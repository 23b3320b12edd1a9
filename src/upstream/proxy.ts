/**
 * Which outbound proxy (if any) one upstream request goes through. agcp decides this itself and
 * always tells fetch explicitly (a URL, or `false` for a direct connection), so the rules are the
 * documented ones whatever the runtime would do with the environment on its own:
 *   1. the account's `proxy` ("direct" opts the account out of any proxy);
 *   2. else `upstream.proxy` (which defaults to HTTPS_PROXY / https_proxy from the environment),
 *      unless the host is listed in `upstream.noProxy` (default: NO_PROXY / no_proxy).
 * Bun's fetch speaks HTTP and HTTPS proxies (CONNECT for https targets), not SOCKS.
 */
export const DIRECT = "direct";

export interface ProxySettings {
  /** Global proxy URL; "" for none. */
  proxy: string;
  /** Hosts that bypass the global proxy: `*`, `host`, `.domain` / `domain` (suffix), `host:port`. */
  noProxy: string[];
}

/** What is wrong with a proxy URL, in "expected …" words; undefined when it is usable. */
export function proxyUrlProblem(value: string): string | undefined {
  if (value === DIRECT) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `an http:// or https:// proxy URL (or "${DIRECT}")`;
  }
  if (/^socks/i.test(url.protocol)) {
    return "an http:// or https:// proxy URL: SOCKS proxies are not supported by agcp's runtime (Bun's fetch); put an HTTP proxy in front of it (e.g. privoxy, gost)";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `an http:// or https:// proxy URL (or "${DIRECT}")`;
  if (!url.hostname) return "a proxy URL with a host";
  return undefined;
}

/** The proxy URL fit for a log line: the password (and a long user name) never appear. */
export function redactProxyUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = "***";
    if (url.username && url.username.length > 24) url.username = "***";
    return url.toString().replace(/\/$/, "");
  } catch {
    return "(unparseable proxy URL)";
  }
}

/** The credentials in a proxy URL, for scrubbing error texts. */
export function proxySecrets(value: string | undefined): string[] {
  if (!value) return [];
  try {
    const url = new URL(value);
    return [url.password, decodeURIComponent(url.password)].filter((s) => s.length > 0);
  } catch {
    return [];
  }
}

export function parseNoProxy(value: string | undefined): string[] {
  return (value ?? "")
    .split(/[,\s]+/)
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

export function bypassesProxy(target: string, noProxy: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return false;
  }
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, "");
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return noProxy.some((rule) => {
    if (rule === "*") return true;
    const [ruleHost = "", rulePort] =
      rule.startsWith("[") ? [rule.slice(1, rule.indexOf("]")), rule.split("]:")[1]]
      : rule.split(":").length > 2 ? [rule] // a bare IPv6 address
      : rule.split(":");
    if (rulePort && rulePort !== port) return false;
    const bare = ruleHost.replace(/^\*?\./, "");
    return host === bare || host.endsWith(`.${bare}`);
  });
}

/** The proxy for one request, or false for a direct connection. */
export function proxyFor(target: string, accountProxy: string | undefined, settings: ProxySettings): string | false {
  if (accountProxy) return accountProxy === DIRECT ? false : accountProxy;
  if (settings.proxy && settings.proxy !== DIRECT && !bypassesProxy(target, settings.noProxy)) return settings.proxy;
  return false;
}
