/**
 * Reasoning items carry the model's thinking back and forth. Upstream only takes thinking back
 * with its signature, so agcp packs both into `encrypted_content` (opaque to clients, who return
 * it verbatim when they send `include: ["reasoning.encrypted_content"]` or keep the items).
 * It is not encrypted: the thinking text is already the client's to read in `summary`.
 */
const PREFIX = "agcp1.";

export function encodeReasoning(thinking: string, signature: string): string {
  return PREFIX + Buffer.from(JSON.stringify({ t: thinking, s: signature })).toString("base64url");
}

export function decodeReasoning(value: string | null | undefined): { thinking: string; signature: string } | undefined {
  if (!value?.startsWith(PREFIX)) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(value.slice(PREFIX.length), "base64url").toString("utf8")) as { t?: unknown; s?: unknown };
    if (typeof parsed.t === "string" && typeof parsed.s === "string" && parsed.s) return { thinking: parsed.t, signature: parsed.s };
  } catch {
    // Someone else's encrypted_content (another proxy, OpenAI itself): nothing upstream could verify.
  }
  return undefined;
}
