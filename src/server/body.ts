import type { H3Event } from "h3";
import type { z } from "zod";
import { ApiError, invalidRequest } from "../anthropic/errors.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Bounds on reading a request body beyond its size, set once per request by the app (from
 * config.limits) so that every route that reads JSON — including doors added later — gets them.
 */
export interface BodyBounds {
  /** The whole body must have arrived within this time. */
  timeoutMs: number;
  /** Deepest nesting of arrays and objects accepted. */
  maxDepth: number;
}

const FALLBACK_BOUNDS: BodyBounds = { timeoutMs: 60_000, maxDepth: 128 };

/** Attaches the bounds for this request (done by the app in front of every route). */
export function setBodyBounds(event: H3Event, bounds: BodyBounds): void {
  (event.context as { bodyBounds?: BodyBounds }).bodyBounds = bounds;
}

function boundsOf(event: H3Event): BodyBounds {
  return (event.context as { bodyBounds?: BodyBounds }).bodyBounds ?? FALLBACK_BOUNDS;
}

/**
 * Reads a JSON body with a hard size limit. The limit is enforced while reading, so a client
 * that lies about (or omits) content-length cannot make us buffer more than `limit` bytes. A client
 * that sends slowly gets 408 after the body timeout instead of holding a connection for minutes,
 * and nesting is checked on the bytes, before anything walks the parsed value.
 */
export async function readJsonBody(event: H3Event, limit: number): Promise<unknown> {
  const bounds = boundsOf(event);
  const declared = Number(event.req.headers.get("content-length") ?? NaN);
  if (declared > limit) throw tooLarge(limit);
  const body = event.req.body;
  if (!body) throw invalidRequest("Request body is empty; expected a JSON object.");
  const bytes = await withinBodyTimeout(event, bounds.timeoutMs, readBytes(event, body, declared, limit));
  return parseJson(bytes, bounds.maxDepth);
}

async function readBytes(event: H3Event, body: ReadableStream<Uint8Array>, declared: number, limit: number): Promise<Uint8Array> {
  // With a declared length within the limit, the runtime holds the body to that length, so the
  // native one-shot read is safe and skips a JS stream reader per request (the common case).
  if (Number.isInteger(declared)) return new Uint8Array(await event.req.arrayBuffer());

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
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

async function withinBodyTimeout<T>(event: H3Event, timeoutMs: number, read: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new ApiError("invalid_request_error", `The request body did not arrive within ${timeoutMs} ms (config: limits.bodyTimeoutMs).`, { status: 408, headers: { connection: "close" } }));
    }, timeoutMs);
  });
  try {
    return await Promise.race([read, late]);
  } finally {
    clearTimeout(timer);
    // A slow sender may still be trickling: stop waiting for it (the read above rejects, unobserved).
    read.catch(() => {});
    if (event.req.body && !event.req.bodyUsed) event.req.body.cancel().catch(() => {});
  }
}

function parseJson(bytes: Uint8Array, maxDepth: number): unknown {
  if (bytes.byteLength === 0) throw invalidRequest("Request body is empty; expected a JSON object.");
  if (nestedDeeperThan(bytes, maxDepth)) {
    throw invalidRequest(`Request JSON is nested deeper than ${maxDepth} levels (config: limits.maxJsonDepth).`);
  }
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

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * One pass over the raw bytes, counting open brackets outside strings: linear in the body's size
 * and cheap per byte, so a body nested 100,000 deep is refused before JSON.parse builds it and
 * before any recursive walk (schema validation, conversion) could spend seconds or the stack on it.
 * Malformed JSON is left for JSON.parse to describe.
 */
export function nestedDeeperThan(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) depth--;
  }
  return false;
}

function tooLarge(limit: number): ApiError {
  return new ApiError("request_too_large", `Request body exceeds the limit of ${limit} bytes (config: bodyLimit).`);
}

/** A management body checked against its schema; a bad one is a 400 that names the first wrong field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw invalidRequest(`${issue.path.join(".") || "body"}: ${issue.message}`);
}
