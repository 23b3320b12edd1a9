import { identityRefused, isVersionRefusal } from "../google/gate-probe.ts";
import { userAgentOf } from "../upstream/identity.ts";
import type { Runtime } from "./runtime.ts";

/**
 * Below upstream's version gate every answer is the sentence "This version of Antigravity is no
 * longer supported…" as if the model had said it. This turns it into an error that names the
 * identity and the fix, before any of it reaches a client (every door reads through it).
 */
export function versionRefusalGuard(rt: Runtime): (text: string) => void {
  return (text) => {
    if (!isVersionRefusal(text)) return;
    const error = identityRefused(text, { userAgent: userAgentOf(rt.config.upstream.identity), source: rt.config.identitySource });
    rt.log.error(`[upstream] ${error.message}`);
    throw error;
  };
}
