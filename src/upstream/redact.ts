/**
 * Error text travels to logs, the console and API clients; credentials must never ride along.
 * Upstream does not normally echo tokens, but a misbehaving proxy in between might.
 */
const TOKEN_SHAPES: RegExp[] = [
  /\bya29\.[\w.-]+/g, // Google access tokens
  /\b1\/\/[\w.-]{10,}/g, // Google refresh tokens
  /\bBearer\s+[\w.~+/-]+=*/gi,
  /\b(access_token|refresh_token|id_token|client_secret|code_verifier|code)=[^&\s"']{8,}/gi,
  /"(access_token|refresh_token|id_token|client_secret)"\s*:\s*"[^"]*"/gi,
];

export function redactSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    // Very short "secrets" would shred ordinary words; real tokens are long.
    if (secret && secret.length >= 8) out = out.split(secret).join("[redacted]");
  }
  for (const shape of TOKEN_SHAPES) {
    out = out.replace(shape, (match, key?: string) =>
      typeof key === "string" && match.includes("=") ? `${key}=[redacted]`
      : typeof key === "string" ? `"${key}":"[redacted]"`
      : "[redacted]",
    );
  }
  return out;
}

/** Keeps messages readable in a log line even when upstream answers with an HTML page. */
export function shorten(text: string, max = 500): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
