/**
 * What `agcp --version` says about the binary: version, the commit it was built from and the
 * target it was built for. Release builds inject the last two with `bun build --define`
 * (scripts/release.ts); run from source they are unknown and the running Bun says where we are.
 */
import pkg from "../../package.json" with { type: "json" };

declare const AGCP_BUILD_COMMIT: string;
declare const AGCP_BUILD_TARGET: string;

export interface BuildInfo {
  version: string;
  /** Short git commit, or undefined when running from source. */
  commit?: string;
  /** Release target name (`linux-x64`, `darwin-arm64`, …), or undefined from source. */
  target?: string;
}

export function buildInfo(): BuildInfo {
  // `typeof` keeps an undefined (not injected) name from throwing; --define replaces the name itself.
  const commit = typeof AGCP_BUILD_COMMIT === "string" && AGCP_BUILD_COMMIT ? AGCP_BUILD_COMMIT : undefined;
  const target = typeof AGCP_BUILD_TARGET === "string" && AGCP_BUILD_TARGET ? AGCP_BUILD_TARGET : undefined;
  return { version: pkg.version, ...(commit && { commit }), ...(target && { target }) };
}

/** One line: `agcp 0.1.0 (commit 1a2b3c4, linux-x64)`, or `(from source, bun 1.4.5 linux/x64)`. */
export function versionLine(info: BuildInfo = buildInfo()): string {
  const detail = info.commit || info.target
    ? `commit ${info.commit ?? "unknown"}, ${info.target ?? "unknown target"}`
    : `from source, bun ${Bun.version} ${process.platform}/${process.arch}`;
  return `agcp ${info.version} (${detail})`;
}
