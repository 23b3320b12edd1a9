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
