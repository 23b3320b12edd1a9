/**
 * How agcp introduces itself to Cloud Code. Official clients identify only by User-Agent (captures
 * Jul–Oct 2026): no X-Client-Name, X-Client-Version, x-goog-api-client or Client-Metadata. Upstream
 * gates on the version in it, so the version must be current and easy to raise.
 *
 * Default: the agy CLI family, `antigravity/cli/1.2.0 (aidev_client; os_type=…; arch=…;
 * cl=978750357; auth_method=consumer)` — the one official client whose complete request (every
 * header, on generation, catalog and quota calls) was captured in the newest material
 * (mitmdump of agy 1.2.0, Sep–Oct 2026), and the client agcp most resembles: headless, consumer
 * OAuth, any OS. The hub strings (up to 2.13.0) come only from peers' constants; the newest IDE
 * capture (2.5.5) is below the 2.9.0 gate for newer models.
 */

export type IdentityFamily = "cli" | "hub" | "ide" | "legacy";
export const IDENTITY_FAMILIES = ["cli", "hub", "ide", "legacy"] as const;

export interface UpstreamIdentity {
  /** Which official client's User-Agent form to use. */
  family: IdentityFamily;
  /** The version put in the User-Agent: upstream gates on it. */
  version: string;
  /** Go-style names as the official clients print them (`linux`, `darwin`, `windows`; `amd64`, `arm64`); "" = this machine. */
  os: string;
  arch: string;
  /** agy's build changelist (`cl=`); "" leaves it out. Only meaningful for the cli family. */
  changelist: string;
  /** The whole User-Agent, verbatim; wins over family/version/os/arch when not "". */
  userAgent: string;
  /** Extra headers on every Cloud Code call. Official clients send none; add some only to copy a peer. */
  headers: Record<string, string>;
  /** Read the version of a local Antigravity install (agy, or the desktop app's product.json) when none is configured. */
  detect: boolean;
}

export const DEFAULT_IDENTITY_VERSION = "1.2.0";
/** The changelist agy 1.2.0 sent; another version has its own, unknown one. */
const DEFAULT_CHANGELIST = "978750357";

export const DEFAULT_IDENTITY: UpstreamIdentity = {
  family: "cli",
  version: DEFAULT_IDENTITY_VERSION,
  os: "",
  arch: "",
  changelist: DEFAULT_CHANGELIST,
  userAgent: "",
  headers: {},
  detect: true,
};

export function goOs(platform: string = process.platform): string {
  return platform === "win32" ? "windows" : platform;
}

export function goArch(arch: string = process.arch): string {
  return arch === "x64" ? "amd64" : arch === "ia32" ? "386" : arch;
}

/** The User-Agent string for an identity, in the official form of its family. */
export function userAgentOf(identity: UpstreamIdentity): string {
  if (identity.userAgent) return identity.userAgent;
  const os = identity.os || goOs();
  const arch = identity.arch || goArch();
  const v = identity.version;
  switch (identity.family) {
    case "cli": {
      const cl = identity.changelist ? `; cl=${identity.changelist}` : "";
      return `antigravity/cli/${v} (aidev_client; os_type=${os}; arch=${arch}${cl}; auth_method=consumer)`;
    }
    case "hub":
      return `antigravity/hub/${v} ${os}/${arch}`;
    case "ide":
      return `antigravity/ide/${v} ${os}/${arch}`;
    case "legacy":
      return `antigravity/${v} ${os}/${arch}`;
  }
}

/** The version a User-Agent claims (any Antigravity family), for messages. */
export function versionInUserAgent(userAgent: string): string | undefined {
  return /\bantigravity\/(?:[a-z]+\/)?(\d+(?:\.\d+)*)/i.exec(userAgent)?.[1];
}

/** Headers every Cloud Code call carries besides Authorization and Content-Type. */
export function identityHeaders(identity: UpstreamIdentity): Record<string, string> {
  return { ...identity.headers, "User-Agent": userAgentOf(identity) };
}

/** Where the identity in use came from, for `accounts verify` and the start-up log. */
export interface IdentityOrigin {
  userAgent: string;
  source: string;
}

export function describeIdentity(identity: UpstreamIdentity, source: string): string {
  const extra = Object.keys(identity.headers);
  const headers = extra.length > 0 ? `; extra headers: ${extra.join(", ")}` : "";
  return `${userAgentOf(identity)} (from ${source}${headers})`;
}
