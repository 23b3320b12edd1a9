/**
 * Does upstream accept agcp's client identity? Upstream does not say so with an error: below its
 * version gate every answer is a normal completion reading "This version of Antigravity is no
 * longer supported…", and below the newer-models gate newer models answer 404 "Requested entity was
 * not found" although the account's catalog lists them. One tiny generate on the newest model the
 * account lists tells both apart (the identity is the same for every account, so one probe will do).
 */
import { UpstreamError } from "../upstream/errors.ts";
import type { UpstreamAccount, UpstreamClient } from "../upstream/client.ts";
import { toCloudCodeRequest } from "./request.ts";
import { createSignatureCache } from "./signatures.ts";

export type GateFinding =
  | { verdict: "accepted"; model: string }
  | { verdict: "unsupported" | "newer-models-404"; model: string; text: string }
  /** The probe itself failed for another reason (quota, network …): nothing learned about the gate. */
  | { verdict: "unknown"; model: string; error: UpstreamError };

/** The sentences upstream has used for a refused client version (Jan–Apr 2026 and since). */
const REFUSAL = /no longer supported|version of Antigravity is out of date/i;

export function isVersionRefusal(text: string): boolean {
  return REFUSAL.test(text);
}

/** The answer text of one response chunk (no thoughts), for spotting the refusal before a client sees it. */
export function chunkText(response: unknown): string {
  const parts = (response as { candidates?: { content?: { parts?: { text?: unknown; thought?: unknown }[] } }[] } | null)?.candidates?.[0]?.content?.parts ?? [];
  return parts
    .filter((p) => typeof p.text === "string" && p.thought !== true)
    .map((p) => p.text as string)
    .join("");
}

export function isEntityNotFound(error: unknown): error is UpstreamError {
  return error instanceof UpstreamError && error.status === 404 && /requested entity was not found/i.test(error.message);
}

export async function probeVersionGate(upstream: UpstreamClient, account: UpstreamAccount, model: string): Promise<GateFinding> {
  const projectId = account.projectId ?? (await upstream.discover(account)).projectId;
  const { envelope } = toCloudCodeRequest(
    { model, max_tokens: 20_000, messages: [{ role: "user", content: "Reply with OK." }] },
    { upstreamModel: model, projectId, sessionId: crypto.randomUUID(), signatures: createSignatureCache() },
  );
  let text: string;
  try {
    const response = await upstream.generate(account, envelope, { stream: false });
    text = answerText(await response.json().catch(() => null));
  } catch (error) {
    if (isEntityNotFound(error)) return { verdict: "newer-models-404", model, text: error.message };
    if (error instanceof UpstreamError) return { verdict: "unknown", model, error };
    throw error;
  }
  if (isVersionRefusal(text)) return { verdict: "unsupported", model, text };
  return { verdict: "accepted", model };
}

function answerText(body: unknown): string {
  return chunkText((body as { response?: unknown } | null)?.response ?? body);
}

/**
 * Upstream "answered" with its refusal sentence: the client must get an error that says what to do,
 * not the sentence as if the model had said it. Not the account's fault (every account shares the
 * identity), so nothing cools and nothing is retried.
 */
export function identityRefused(text: string, identity: { userAgent: string; source: string }): UpstreamError {
  return new UpstreamError({
    kind: "bad_request",
    status: 400,
    message: gateAdvice({ verdict: "unsupported", model: "", text }, identity)!,
  });
}

/** What to tell the user, naming the identity in use and the two ways to raise it. */
export function gateAdvice(finding: GateFinding, identity: { userAgent: string; source: string }): string | undefined {
  if (finding.verdict === "accepted" || finding.verdict === "unknown") return undefined;
  const what =
    finding.verdict === "unsupported"
      ? `every answer is "${finding.text.trim()}"`
      : `newer models answer 404 "Requested entity was not found" (probed ${finding.model}, which the account's catalog lists)`;
  return (
    `Upstream no longer accepts agcp's client identity ${identity.userAgent} (from ${identity.source}): ${what}. ` +
    `Raise the identity version: set upstream.identity.version in agcp.config.ts or the AGCP_CLIENT_VERSION environment variable ` +
    `to the current official client's version (or install agy, whose version agcp then reads by itself).`
  );
}
