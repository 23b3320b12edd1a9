import { createHash, timingSafeEqual } from "node:crypto";
import { ApiError } from "../anthropic/errors.ts";

/**
 * Returns a check for the configured API key. Both sides are hashed first so the comparison
 * is constant-time whatever the presented key's length.
 */
export function createApiKeyCheck(apiKey: string | undefined): (headers: Headers, queryKey?: string | null) => void {
  if (!apiKey) return () => {};
  const expected = digest(apiKey);
  return (headers, queryKey) => {
    // Each API's own way of carrying the key: Anthropic's `x-api-key`, OpenAI's bearer token, the
    // Gemini API's `x-goog-api-key` or `?key=` (which the caller passes only for the Gemini door).
    const presented = headers.get("x-api-key") ?? bearer(headers.get("authorization")) ?? headers.get("x-goog-api-key") ?? queryKey;
    if (!presented) throw new ApiError("authentication_error", "Missing API key: send it in x-api-key, Authorization: Bearer or x-goog-api-key.");
    if (!timingSafeEqual(digest(presented), expected)) throw new ApiError("authentication_error", "Invalid API key.");
  };
}

function bearer(value: string | null): string | undefined {
  if (!value) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(value.trim());
  return m?.[1];
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}
