/**
 * Late-2026 error answers with the shapes and texts upstream uses (cloudcode-protocol.md, "Errors
 * (additions)"), injectable as a fault: `{"fault": {"error": "subscription_required"}}`.
 */
import { errorInfo, rpcError } from "./rpc-error.ts";

export const UPSTREAM_ERROR_FAULTS = ["subscription_required", "service_disabled", "resource_exhausted", "no_capacity"] as const;
export type UpstreamErrorFault = (typeof UPSTREAM_ERROR_FAULTS)[number];

const LICENSE_DOMAIN = "cloudaicompanion.googleapis.com";

export function upstreamErrorResponse(kind: UpstreamErrorFault, ctx: { model: string; project: string }): Response {
  switch (kind) {
    case "subscription_required":
      return rpcError(
        "PERMISSION_DENIED",
        "You are currently configured to use a Google Cloud Project but lack a Gemini Code Assist license. (#3501)",
        [
          { ...errorInfo("SUBSCRIPTION_REQUIRED", { uiMessage: "true" }), domain: LICENSE_DOMAIN },
          {
            "@type": "type.googleapis.com/google.rpc.Help",
            links: [{ description: "Get a Gemini Code Assist license", url: "https://goo.gle/set-up-gemini-code-assist" }],
          },
        ],
      );
    case "service_disabled": {
      const project = ctx.project || "unknown";
      const url = `https://console.developers.google.com/apis/api/cloudcode-pa.googleapis.com/overview?project=${project}`;
      return rpcError(
        "PERMISSION_DENIED",
        `Cloud Code Private API has not been used in project ${project} before or it is disabled. Enable it by visiting ${url} then retry. ` +
          "If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.",
        [
          {
            ...errorInfo("SERVICE_DISABLED", {
              service: "cloudcode-pa.googleapis.com",
              consumer: `projects/${project}`,
              activationUrl: url,
            }),
            domain: "googleapis.com",
          },
        ],
      );
    }
    case "resource_exhausted":
      // No ErrorInfo, no RetryInfo, no Retry-After: a client can only guess (transient, per CPA).
      return rpcError("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).");
    case "no_capacity":
      return rpcError("UNAVAILABLE", `No capacity available for model ${ctx.model} on the server`);
  }
}
