import type { H3Event } from "h3";
import { ApiError, invalidRequest } from "../anthropic/errors.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads a JSON body with a hard size limit. The limit is enforced while reading, so a client
 * that lies about (or omits) content-length cannot make us buffer more than `limit` bytes.
 */
export async function readJsonBody(event: H3Event, limit: number): Promise<unknown> {
  const declared = Number(event.req.headers.get("content-length") ?? NaN);
  if (declared > limit) throw tooLarge(limit);
  const body = event.req.body;
  if (!body) throw invalidRequest("Request body is empty; expected a JSON object.");
  // With a declared length within the limit, the runtime holds the body to that length, so the
  // native one-shot read is safe and skips a JS stream reader per request (the common case).
  if (Number.isInteger(declared)) return parseJson(new Uint8Array(await event.req.arrayBuffer()));

  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return parseJson(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
}

function parseJson(bytes: Uint8Array): unknown {
  if (bytes.byteLength === 0) throw invalidRequest("Request body is empty; expected a JSON object.");
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw invalidRequest("Request body is not valid UTF-8.");
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw invalidRequest(`Malformed JSON in request body: ${(e as Error).message}`);
  }
}

function tooLarge(limit: number): ApiError {
  return new ApiError("request_too_large", `Request body exceeds the limit of ${limit} bytes (config: bodyLimit).`);
}
