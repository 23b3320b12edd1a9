/**
 * The OpenAI doors answer through the same Google → Anthropic-events translator as /v1/messages:
 * it already knows thinking blocks, signatures (remembered for the next turn), tool-name mapping
 * and stop reasons. Each OpenAI door then only re-labels those events in its own wire format.
 */
import { accumulateMessage } from "../anthropic/accumulate.ts";
import type { AnthropicMessage, AnthropicStreamEvent, Usage } from "../anthropic/types.ts";
import { createStreamTranslator, type StreamTranslatorContext } from "../google/stream.ts";
import type { CloudCodeResponse } from "../google/types.ts";
import type { DoorTranslator, TokenUsage } from "../server/door-relay.ts";
import type { Opened } from "../server/relay.ts";
import type { Runtime } from "../server/runtime.ts";

/** Turns Anthropic events into one door's SSE text; stateful, one per stream. */
export interface EventEncoder {
  encode(events: readonly AnthropicStreamEvent[]): string;
}

export function translationContext(rt: Runtime, requestedModel: string, opened: Opened): StreamTranslatorContext {
  return {
    requestedModel,
    toolNames: opened.conversion.toolNames,
    signatures: rt.signatures,
    family: opened.model.family,
  };
}

/**
 * A DoorTranslator over Anthropic events. Streaming: `encoder` writes each batch. Not streaming:
 * the events are kept and folded into one AnthropicMessage, which `toBody` renders.
 */
export function viaAnthropicEvents<T>(
  ctx: StreamTranslatorContext,
  mode: { stream: true; encoder: EventEncoder } | { stream: false; toBody: (message: AnthropicMessage) => T },
): DoorTranslator<T> {
  const translator = createStreamTranslator(ctx);
  const kept: AnthropicStreamEvent[] = [];
  let usage: TokenUsage | undefined;
  const emit = (events: AnthropicStreamEvent[]): string => {
    for (const ev of events) if (ev.type === "message_delta") usage = tokenUsage(ev.usage as Usage);
    if (mode.stream) return mode.encoder.encode(events);
    for (const ev of events) kept.push(ev);
    return "";
  };
  return {
    start: () => emit(translator.start()),
    push: (chunk: CloudCodeResponse) => emit(translator.push(chunk)),
    finish: () => emit(translator.finish()),
    result: () => {
      if (mode.stream) throw new Error("result() of a streaming translator");
      return mode.toBody(accumulateMessage(kept));
    },
    get hasContent() {
      return translator.hasContent;
    },
    get complete() {
      return translator.complete;
    },
    get usage() {
      return usage;
    },
  };
}

function tokenUsage(u: Usage): TokenUsage {
  return { input: u.input_tokens, output: u.output_tokens, cacheRead: u.cache_read_input_tokens ?? 0 };
}
