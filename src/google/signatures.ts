/**
 * Memory of thinking signatures, so history can be sent back safely.
 *
 * Upstream rejects a thinking block whose signature is missing or came from the other model
 * family ("Invalid signature in thinking block"), which happens whenever a conversation switches
 * between Claude and Gemini models. We cannot tell a signature's origin by looking at it, so we
 * remember the family of every signature we hand out, and drop thinking we cannot vouch for.
 * Gemini also signs function calls; the signature must travel back with the call, but Anthropic
 * tool_use blocks have nowhere to carry it, so it is kept here by tool_use id.
 *
 * Both maps are LRU-bounded: a long-running proxy sees an unbounded number of conversations.
 */
import type { ModelFamily } from "./types.ts";

export interface SignatureCache {
  rememberThinking(signature: string, family: ModelFamily): void;
  /** The family that produced the signature, if we saw it. */
  thinkingFamily(signature: string): ModelFamily | undefined;
  rememberToolCall(toolUseId: string, signature: string): void;
  toolCallSignature(toolUseId: string): string | undefined;
  /**
   * Thinking text agcp did not show the client (`display: "omitted"`): the client sends the block
   * back empty, and upstream checks the signature against the text, so it is put back from here.
   */
  rememberThinkingText(signature: string, text: string): void;
  thinkingText(signature: string): string | undefined;
  /**
   * Thinking agcp kept from a client that did not ask for thinking (a model that thinks anyway),
   * by the tool_use id it preceded: a tool loop must send it back, and the client never saw it.
   */
  rememberHiddenThinking(toolUseId: string, thinking: HiddenThinking): void;
  hiddenThinking(toolUseId: string): HiddenThinking | undefined;
  readonly size: number;
}

export interface HiddenThinking {
  text: string;
  signature: string;
}

export interface SignatureCacheOptions {
  /** Entries kept per map before the least recently used are forgotten. */
  max?: number;
  /** Omitted and hidden thinking texts kept, each (they run to kilobytes). Default 1000. */
  maxTexts?: number;
}

export const DEFAULT_SIGNATURE_CACHE_MAX = 10_000;
export const DEFAULT_THINKING_TEXT_MAX = 1_000;

export function createSignatureCache(options: SignatureCacheOptions = {}): SignatureCache {
  const max = Math.max(1, options.max ?? DEFAULT_SIGNATURE_CACHE_MAX);
  // Signatures run to kilobytes; key thinking entries by a 64-bit hash plus length instead.
  const thinking = createLru<string, ModelFamily>(max);
  const toolCalls = createLru<string, string>(max);
  const texts = createLru<string, string>(Math.max(1, options.maxTexts ?? DEFAULT_THINKING_TEXT_MAX));
  const hidden = createLru<string, HiddenThinking>(Math.max(1, options.maxTexts ?? DEFAULT_THINKING_TEXT_MAX));
  return {
    rememberThinking(signature, family) {
      if (signature) thinking.set(signatureKey(signature), family);
    },
    thinkingFamily(signature) {
      return signature ? thinking.get(signatureKey(signature)) : undefined;
    },
    rememberToolCall(toolUseId, signature) {
      if (toolUseId && signature) toolCalls.set(toolUseId, signature);
    },
    toolCallSignature(toolUseId) {
      return toolCalls.get(toolUseId);
    },
    rememberThinkingText(signature, text) {
      if (signature && text) texts.set(signatureKey(signature), text);
    },
    thinkingText(signature) {
      return signature ? texts.get(signatureKey(signature)) : undefined;
    },
    rememberHiddenThinking(toolUseId, block) {
      if (toolUseId && block.signature) hidden.set(toolUseId, block);
    },
    hiddenThinking(toolUseId) {
      return hidden.get(toolUseId);
    },
    get size() {
      return thinking.size + toolCalls.size + texts.size + hidden.size;
    },
  };
}

function signatureKey(signature: string): string {
  return `${signature.length.toString(36)}:${Bun.hash(signature).toString(36)}`;
}

interface Lru<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): void;
  readonly size: number;
}

/** A Map keeps insertion order, so re-inserting on use makes its first key the least recent. */
function createLru<K, V>(max: number): Lru<K, V> {
  const map = new Map<K, V>();
  return {
    get(key) {
      const value = map.get(key);
      if (value !== undefined) {
        map.delete(key);
        map.set(key, value);
      }
      return value;
    },
    set(key, value) {
      map.delete(key);
      map.set(key, value);
      if (map.size > max) {
        const oldest = map.keys().next();
        if (!oldest.done) map.delete(oldest.value);
      }
    },
    get size() {
      return map.size;
    },
  };
}
