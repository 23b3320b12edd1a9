/** Anthropic-looking ids (`msg_…`, `toolu_…`) for what upstream leaves unnamed. */

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export type IdSource = (prefix: "msg" | "toolu") => string;

export const randomId: IdSource = (prefix) => {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  let out = `${prefix}_`;
  // 256 % 62 leaves a slight bias; ids need uniqueness, not uniformity.
  for (const b of bytes) out += ALPHABET[b % 62];
  return out;
};

/**
 * Clients expect `toolu_…` ids. Upstream's own id is kept inside the new one so the same call keeps
 * the same id on every turn, and the id we send back upstream (call and response alike) stays consistent.
 */
export function toolUseId(upstreamId: string | undefined, newId: IdSource): string {
  if (!upstreamId) return newId("toolu");
  return upstreamId.startsWith("toolu_") ? upstreamId : `toolu_${upstreamId}`;
}
