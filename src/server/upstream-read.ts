import { chunkText } from "../google/gate-probe.ts";
import { parseSseBatches, SseIdleError } from "../google/stream.ts";
import type { CloudCodeResponse } from "../google/types.ts";
import { UpstreamError } from "../upstream/errors.ts";
import type { Opened } from "./relay.ts";
import type { Runtime } from "./runtime.ts";

/**
 * Feeds the upstream SSE chunks of each network read to `onChunks`, unwrapped from Cloud Code's
 * `{response: …}`. A broken stream, or one that stays silent longer than `idleMs` between reads,
 * becomes a network UpstreamError (pings would otherwise keep every timeout along the way from
 * ever firing). Shared by every door: what differs between APIs is only what the chunks become.
 */
export async function readUpstream(
  opened: Opened,
  idleMs: number,
  onChunks: (chunks: CloudCodeResponse[]) => void,
  /** Sees the first answer text before the client does, and may throw (upstream's version refusal). */
  firstText?: (text: string) => void,
  /** config.limits.maxSseLineBytes: a longer line fails the attempt instead of being buffered. */
  maxLineLength?: number,
): Promise<void> {
  const body = opened.response.body;
  if (!body) throw new UpstreamError({ kind: "empty_response", message: "Upstream answered with no body." });
  let watching = firstText !== undefined;
  try {
    for await (const batch of parseSseBatches(body, { idleMs, ...(maxLineLength !== undefined && { maxLineLength }) })) {
      const chunks = batch.map((data) => (data as { response?: CloudCodeResponse }).response ?? (data as CloudCodeResponse));
      if (watching) {
        const text = chunks.map(chunkText).join("");
        if (text.trim() !== "") {
          watching = false;
          firstText?.(text);
        }
      }
      onChunks(chunks);
    }
  } catch (err) {
    if (err instanceof UpstreamError) throw err;
    if (err instanceof SseIdleError) throw new UpstreamError({ kind: "network", timedOut: true, message: `Upstream sent nothing for ${idleMs} ms mid-stream.` });
    throw new UpstreamError({ kind: "network", message: `Upstream stream broke: ${(err as Error).message}` });
  }
}

/** readUpstream under the configured bounds: upstream.requestTimeoutMs between reads, limits.maxSseLineBytes per line. */
export function readUpstreamBounded(
  rt: Pick<Runtime, "config">,
  opened: Opened,
  onChunks: (chunks: CloudCodeResponse[]) => void,
  firstText?: (text: string) => void,
): Promise<void> {
  return readUpstream(opened, rt.config.upstream.requestTimeoutMs, onChunks, firstText, rt.config.limits.maxSseLineBytes);
}
