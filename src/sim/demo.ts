import { createHash } from "node:crypto";
import { CONSUMER_PROJECT } from "./code-assist.ts";
import { CLAUDE_55_IDS, LATE_2026_MODELS } from "./lineup.ts";
import type { SimAccountInit, SimTier } from "./types.ts";

const TIER_CYCLE: SimTier[] = ["pro", "ultra", "free", "pro"];

/**
 * n deterministic demo accounts. Variety makes a demo show balancing: tiers rotate, the second
 * account is low on its weekly Claude window, the third is free tier (weekly windows only) and has
 * no Claude 5.5, every fourth has a tight rate limit.
 */
export function demoAccounts(n: number): SimAccountInit[] {
  const accounts: SimAccountInit[] = [];
  for (let i = 1; i <= n; i++) {
    const email = `demo${i}@agcp.test`;
    const hex = createHash("sha256").update(`agcp-demo-${i}`).digest("hex").slice(0, 16);
    const account: SimAccountInit = {
      email,
      refreshToken: `sim-refresh-${i}-${hex}`,
      tier: TIER_CYCLE[(i - 1) % TIER_CYCLE.length] ?? "pro",
      // Consumer accounts, as agy sees them, all share one project.
      projectId: CONSUMER_PROJECT,
    };
    if (i % 4 === 2) {
      // Nearly through its week of Claude: the weekly wall, shown before it is hit.
      account.buckets = { "3p-weekly": 0.04, "3p-5h": 0.6 };
    } else if (i % 4 === 3) {
      // Free tier (from the cycle above): weekly windows only.
      account.buckets = { "gemini-weekly": 0.3, "3p-weekly": 0.4 };
    }
    if (i % 4 === 0) account.rateLimitPerMinute = 30;
    // Claude 5.5 is an entitlement: this one has only Claude 4.6, so "opus" means 4.6 here.
    if (i % 4 === 3) account.models = LATE_2026_MODELS.map((m) => m.id).filter((id) => !CLAUDE_55_IDS.includes(id));
    accounts.push(account);
  }
  return accounts;
}
