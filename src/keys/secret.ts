/**
 * Key secrets: `agcp-<id>-<43 base64url chars>` (256 random bits). A fast unkeyed hash is enough
 * for secrets this long — there is nothing to guess — and keeps the check cheap on every request;
 * a keyed hash would need its own secret shared by every instance, for no gain here.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const SECRET = /^agcp-([a-f0-9]{12})-([A-Za-z0-9_-]{43})$/;

export interface NewSecret {
  id: string;
  secret: string;
  hash: string;
}

/** A fresh secret; `id` keeps a rotated key's identity (and usage history). */
export function newSecret(id: string = randomBytes(6).toString("hex")): NewSecret {
  const secret = `agcp-${id}-${randomBytes(32).toString("base64url")}`;
  return { id, secret, hash: hashSecret(secret) };
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** The key id a presented secret claims, or undefined when it is not shaped like one of ours. */
export function idOfSecret(presented: string): string | undefined {
  return SECRET.exec(presented)?.[1];
}

/** Constant-time: compares the hashes, which always have the same length. */
export function secretMatches(presented: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(presented), "hex");
  const b = Buffer.from(storedHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}
