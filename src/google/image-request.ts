/**
 * Image generation on Cloud Code: the account's image model with `requestType: "image_gen"` and
 * an `imageConfig`, answered with `inlineData` image parts (see cloudcode-protocol.md, "Image
 * generation"). No tools, no thinking, no session: each picture is a call of its own.
 */
import type { CloudCodeRequest } from "./request.ts";
import { createToolNameMap } from "./tool-names.ts";
import type { GooglePart } from "./types.ts";

export interface ImageGenInput {
  /** The prompt (text, and any pictures to work from). */
  parts: GooglePart[];
  aspectRatio?: string;
  imageSize?: string;
  /** `["IMAGE"]` for a picture only, `["TEXT", "IMAGE"]` when words may come with it. */
  modalities?: string[];
}

/** Aspect ratios upstream's imageConfig takes. */
export const IMAGE_ASPECT_RATIOS = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"] as const;
export const IMAGE_SIZES = ["1K", "2K", "4K"] as const;

export function toImageGenRequest(input: ImageGenInput, target: { upstreamModel: string; projectId: string }): CloudCodeRequest {
  const imageConfig: { aspectRatio?: string; imageSize?: string } = {};
  if (input.aspectRatio) imageConfig.aspectRatio = input.aspectRatio;
  if (input.imageSize) imageConfig.imageSize = input.imageSize;
  return {
    envelope: {
      project: target.projectId,
      model: target.upstreamModel,
      requestType: "image_gen",
      userAgent: "antigravity",
      requestId: `image_gen/${Date.now()}/${crypto.randomUUID()}/12`,
      request: {
        contents: [{ role: "user", parts: input.parts }],
        generationConfig: { candidateCount: 1, imageConfig, responseModalities: input.modalities ?? ["IMAGE"] },
      },
    },
    toolNames: createToolNameMap(),
    thinking: false,
  };
}

/** Whether an upstream id is an image model (upstream lists them apart; their ids say so too). */
export function isImageModel(upstreamId: string, configured: string): boolean {
  return upstreamId === configured || /-image(?:-|$)/.test(upstreamId);
}
