import { errorInfo, rpcError } from "./rpc-error.ts";
import type { SimAccount } from "./state.ts";
import type { SimContext } from "./http.ts";

/** 403 for an account that upstream has taken out of service (banned or awaiting verification). */
export function accountBlocked(ctx: SimContext, account: SimAccount): Response | null {
  if (account.banned) {
    account.counters.forbidden++;
    return rpcError(
      "PERMISSION_DENIED",
      "This account has been disabled due to a violation of Terms of Service. If you believe this is a mistake, contact support.",
      [errorInfo("ACCOUNT_DISABLED")],
    );
  }
  if (account.validationRequired) {
    account.counters.forbidden++;
    const validationUrl = `${ctx.url.origin}/__sim/validate/${encodeURIComponent(account.email)}`;
    return rpcError("PERMISSION_DENIED", "Verify your account to continue.", [
      errorInfo("VALIDATION_REQUIRED", {
        validation_url: validationUrl,
        validation_error_message: "Verify your account to continue.",
      }),
    ]);
  }
  return null;
}

/** 403 when the request names a project the account cannot use. */
export function projectDenied(account: SimAccount, project: unknown): Response | null {
  if (account.projectId !== null && project === account.projectId) return null;
  account.counters.forbidden++;
  const name = typeof project === "string" && project !== "" ? project : "(unspecified)";
  return rpcError(
    "PERMISSION_DENIED",
    `Permission 'cloudaicompanion.companions.generateChat' denied on resource '//cloudaicompanion.googleapis.com/projects/${name}/locations/global' (or it may not exist).`,
    [errorInfo("IAM_PERMISSION_DENIED", { permission: "cloudaicompanion.companions.generateChat" })],
  );
}
