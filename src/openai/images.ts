/**
 * POST /v1/images/generations → one image_gen call on the account's image model. OpenAI's `size`
 * becomes upstream's aspect ratio and size class; the picture comes back as `b64_json` (or, when a
 * client insists on `url`, as a data: URL, since agcp hosts no files).
 */
import { z } from "zod";
import { invalidRequest } from "../anthropic/errors.ts";
import { parseWith } from "../anthropic/schema.ts";
import { IMAGE_ASPECT_RATIOS, IMAGE_SIZES, type ImageGenInput } from "../google/image-request.ts";
import { ChunkMerger } from "../google/merge-chunks.ts";
import type { CloudCodeResponse, GooglePart } from "../google/types.ts";
import type { DoorTranslator } from "../server/door-relay.ts";
import { unixNow } from "./common.ts";

const imagesRequest = z.looseObject({
  prompt: z.string().min(1),
  model: z.string().min(1).nullish(),
  n: z.number().int().nullish(),
  size: z.string().nullish(),
  quality: z.string().nullish(),
  response_format: z.enum(["b64_json", "url"]).nullish(),
  output_format: z.enum(["png"]).nullish(),
  // Extensions for clients that know upstream's terms.
  aspect_ratio: z.enum(IMAGE_ASPECT_RATIOS).nullish(),
  image_size: z.enum(IMAGE_SIZES).nullish(),
});

export type ImagesRequest = z.infer<typeof imagesRequest>;

export function parseImagesRequest(body: unknown): ImagesRequest {
  const req = parseWith(imagesRequest, body);
  if (req.n !== undefined && req.n !== null && req.n !== 1) throw invalidRequest(`n: only 1 image per request is supported, got ${req.n}`);
  return req;
}

export function imageInput(req: ImagesRequest): ImageGenInput {
  const input: ImageGenInput = { parts: [{ text: req.prompt }] };
  const shape = req.size && req.size !== "auto" ? sizeToShape(req.size) : undefined;
  const aspectRatio = req.aspect_ratio ?? shape?.aspectRatio;
  const imageSize = req.image_size ?? shape?.imageSize ?? (req.quality === "hd" || req.quality === "high" ? "2K" : undefined);
  if (aspectRatio) input.aspectRatio = aspectRatio;
  if (imageSize) input.imageSize = imageSize;
  return input;
}

/** "1792x1024" → the nearest upstream aspect ratio, and the size class of the long side. */
export function sizeToShape(size: string): { aspectRatio: string; imageSize: string } {
  const m = /^(\d{1,5})x(\d{1,5})$/.exec(size);
  if (!m) throw invalidRequest(`size: expected WIDTHxHEIGHT (e.g. 1024x1024) or "auto", got ${JSON.stringify(size)}`);
  const w = Number(m[1]);
  const h = Number(m[2]);
  if (w === 0 || h === 0) throw invalidRequest(`size: width and height must be positive, got ${JSON.stringify(size)}`);
  let best: string = IMAGE_ASPECT_RATIOS[0];
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const ratio of IMAGE_ASPECT_RATIOS) {
    const [a, b] = ratio.split(":").map(Number) as [number, number];
    const distance = Math.abs(Math.log(w / h) - Math.log(a / b));
    if (distance < bestDistance) [best, bestDistance] = [ratio, distance];
  }
  const long = Math.max(w, h);
  return { aspectRatio: best, imageSize: long <= 1024 ? "1K" : long <= 2048 ? "2K" : "4K" };
}

/** The image parts of an answer, in order. */
export function imagesOf(response: CloudCodeResponse): Array<{ mimeType: string; data: string }> {
  const out: Array<{ mimeType: string; data: string }> = [];
  for (const p of response.candidates?.[0]?.content?.parts ?? []) if (p.inlineData?.data) out.push(p.inlineData);
  return out;
}

export function textOf(parts: readonly GooglePart[]): string {
  return parts.filter((p) => typeof p.text === "string" && p.thought !== true).map((p) => p.text).join("");
}

export interface ImagesResponse {
  created: number;
  data: Array<{ b64_json?: string; url?: string; revised_prompt?: string }>;
  output_format: string;
  size?: string;
}

/** Collects the answer; an answer without a picture counts as empty (another account may draw it). */
export function imagesTranslator(req: ImagesRequest): DoorTranslator<ImagesResponse> {
  const merger = new ChunkMerger();
  return {
    start: () => "",
    push: (chunk) => {
      merger.push(chunk);
      return "";
    },
    finish: () => "",
    result: () => {
      const response = merger.result();
      const images = imagesOf(response);
      const revised = textOf(response.candidates?.[0]?.content?.parts ?? []);
      const data = images.map((img) => {
        const item: ImagesResponse["data"][number] = req.response_format === "url" ? { url: `data:${img.mimeType};base64,${img.data}` } : { b64_json: img.data };
        if (revised) item.revised_prompt = revised;
        return item;
      });
      const out: ImagesResponse = { created: unixNow(), data, output_format: "png" };
      if (req.size) out.size = req.size;
      return out;
    },
    get hasContent() {
      return imagesOf(merger.result()).length > 0;
    },
    get complete() {
      return merger.complete;
    },
    get usage() {
      const u = merger.usageMetadata;
      return u ? { input: u.promptTokenCount ?? 0, output: u.candidatesTokenCount ?? 0, cacheRead: 0 } : undefined;
    },
  };
}
