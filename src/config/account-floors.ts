/**
 * An account's own quota floors: written as `accounts[].quota` in agcp.config.ts (and stored the
 * same way for accounts added at run time), read by the pool under its own names.
 */
import type { AccountFloors, WindowFloors } from "../pool/types.ts";

/** The shape of `accounts[].quota`: fractions 0 .. 0.99. */
export interface AccountQuotaFloors {
  floor?: number;
  models?: Record<string, number>;
  pools?: WindowFloors;
}

/** The pool's view of an account's floors; undefined when the account has none of its own. */
export function poolFloorsOf(quota: AccountQuotaFloors | undefined): AccountFloors | undefined {
  if (!quota) return undefined;
  return {
    ...(quota.floor !== undefined && { default: quota.floor }),
    perModel: { ...quota.models },
    ...(quota.pools !== undefined && { pools: structuredClone(quota.pools) }),
  };
}

/** The floors with empty parts left out; undefined when nothing is set (the global floors apply). */
export function ownFloors(quota: AccountQuotaFloors | undefined): AccountQuotaFloors | undefined {
  if (!quota) return undefined;
  const models = quota.models && Object.keys(quota.models).length > 0 ? { ...quota.models } : undefined;
  const pools = Object.fromEntries(
    Object.entries(quota.pools ?? {}).filter(([, windows]) => windows && Object.values(windows).some((v) => v !== undefined)),
  ) as WindowFloors;
  const out: AccountQuotaFloors = {
    ...(quota.floor !== undefined && { floor: quota.floor }),
    ...(models && { models }),
    ...(Object.keys(pools).length > 0 && { pools: structuredClone(pools) }),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}
