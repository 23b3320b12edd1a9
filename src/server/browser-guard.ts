/**
 * Keeps web pages from driving agcp. Without an API key (the default) agcp trusts whoever can
 * reach it, and a browser on this machine can reach 127.0.0.1 on behalf of any page it opens:
 * - a page on another origin can send simple requests (form posts, `fetch` with a text/plain or
 *   bodyless POST) that disable accounts or spend quota, without ever reading the answer;
 * - a page whose own DNS name is re-pointed at 127.0.0.1 (DNS rebinding) is "same-origin" for the
 *   browser and can read every answer; only its `Host` header gives it away.
 * One check in front of every route, so doors added later are covered without doing anything.
 */
import { ApiError } from "../anthropic/errors.ts";

export interface BrowserGuardOptions {
  /** The configured listen address. */
  host: string;
  /** Extra host names (lowercase, no port); "*" accepts any. */
  allowedHosts: readonly string[];
  /** Extra origins (lowercase, no trailing slash); "*" accepts any. */
  allowedOrigins: readonly string[];
}

/** Content types a browser may send cross-site without asking first (no CORS preflight). */
const SIMPLE_BODY_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"];
const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** Claude Code's telemetry: answered with a 200 and dropped, whatever it sends. */
const TELEMETRY_PATH = "/api/event_logging/batch";

export type BrowserGuard = (req: Request, pathname: string) => void;

export function createBrowserGuard(options: BrowserGuardOptions): BrowserGuard {
  const anyHost = options.allowedHosts.includes("*");
  const anyOrigin = options.allowedOrigins.includes("*");
  const extraHosts = new Set(options.allowedHosts);
  const extraOrigins = new Set(options.allowedOrigins);
  const configuredHost = normaliseHostname(options.host);

  /** Names that reach this agcp and that no web page can take over. */
  function isOwnName(hostname: string): boolean {
    if (hostname === "localhost" || hostname.endsWith(".localhost")) return true;
    if (hostname === configuredHost && !isWildcardAddress(hostname)) return true;
    return extraHosts.has(hostname);
  }

  function checkHost(hostHeader: string | null): void {
    // HTTP/1.0 clients may omit it; browsers never do, and rebinding needs the browser.
    if (hostHeader === null || anyHost) return;
    const hostname = normaliseHostname(splitHostPort(hostHeader).hostname);
    // An IP address cannot be rebound: a page that reaches agcp by address is on agcp's own address.
    if (isIpAddress(hostname) || isOwnName(hostname)) return;
    throw new ApiError("permission_error", `agcp does not answer to the host name ${JSON.stringify(hostname)}; add it to security.allowedHosts if you reach agcp through it.`, { status: 421 });
  }

  function checkOrigin(origin: string | null, hostHeader: string | null): void {
    if (origin === null || anyOrigin) return;
    const normalised = origin.toLowerCase().replace(/\/+$/, "");
    if (extraOrigins.has(normalised)) return;
    let url: URL | undefined;
    try {
      url = new URL(normalised);
    } catch {}
    if (url && (url.protocol === "http:" || url.protocol === "https:")) {
      // Same origin as the address the browser used (the console's own page, also behind a proxy
      // that keeps Host). The Host was checked above, so it is one of ours.
      if (hostHeader !== null && url.host === hostHeader.toLowerCase()) return;
      // Another of our own names on the port the client reached us on (a console opened as
      // localhost calling 127.0.0.1): still agcp's own page.
      const port = url.port || (url.protocol === "https:" ? "443" : "80");
      const hostname = normaliseHostname(url.hostname);
      if (hostHeader !== null && port === splitHostPort(hostHeader).port && (isOwnName(hostname) || isLoopbackAddress(hostname))) return;
    }
    throw new ApiError("permission_error", `Requests from the web origin ${JSON.stringify(origin)} are not allowed; add it to security.allowedOrigins to allow it.`);
  }

  return (req, pathname) => {
    const hostHeader = req.headers.get("host");
    checkHost(hostHeader);
    checkOrigin(req.headers.get("origin"), hostHeader);
    if (READ_METHODS.has(req.method) || pathname === TELEMETRY_PATH) return;
    const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (pathname.startsWith("/api/")) {
      // A page cannot set this header cross-site without the preflight agcp never grants.
      if (!isJsonType(type)) throw unsupported(`The management API takes JSON: send content-type: application/json (found ${type ? JSON.stringify(type) : "none"}).`);
    } else if (SIMPLE_BODY_TYPES.includes(type)) {
      throw unsupported(`Request bodies must be JSON (content-type: application/json), not ${type}.`);
    }
  };
}

function unsupported(message: string): ApiError {
  return new ApiError("invalid_request_error", message, { status: 415 });
}

function isJsonType(type: string): boolean {
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

/** Host header → name and port ("80" when absent: agcp serves plain HTTP). */
function splitHostPort(value: string): { hostname: string; port: string } {
  const v = value.trim();
  if (v.startsWith("[")) {
    const end = v.indexOf("]");
    if (end === -1) return { hostname: v, port: "80" };
    return { hostname: v.slice(0, end + 1), port: v.slice(end + 2) || "80" };
  }
  const colon = v.indexOf(":");
  // More than one colon and no brackets: a bare IPv6 address without a port.
  if (colon !== -1 && v.indexOf(":", colon + 1) === -1) return { hostname: v.slice(0, colon), port: v.slice(colon + 1) || "80" };
  return { hostname: v, port: "80" };
}

function normaliseHostname(hostname: string): string {
  let h = hostname.toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  return h.endsWith(".") ? h.slice(0, -1) : h;
}

function isWildcardAddress(hostname: string): boolean {
  return hostname === "0.0.0.0" || hostname === "::";
}

function isIpAddress(hostname: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname) || (hostname.includes(":") && /^[0-9a-f:.]+$/.test(hostname));
}

function isLoopbackAddress(hostname: string): boolean {
  return /^127(\.\d{1,3}){3}$/.test(hostname) || hostname === "::1";
}
