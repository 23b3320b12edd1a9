import type { SimContext } from "./http.ts";
import { rpcError } from "./rpc-error.ts";

/** Upstream turns away IDE versions it no longer supports; the sim does so only when told a minimum. */
export function outdatedClient(ctx: SimContext): Response | null {
  const min = ctx.state.config.minClientVersion;
  if (!min) return null;
  const agent = ctx.req.headers.get("user-agent") ?? "";
  const version = /antigravity\/(\d+(?:\.\d+)*)/i.exec(agent)?.[1];
  if (version !== undefined && compareVersions(version, min) >= 0) return null;
  return rpcError("INVALID_ARGUMENT", "This version of Antigravity is no longer supported. Please update to receive the latest features.");
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}
