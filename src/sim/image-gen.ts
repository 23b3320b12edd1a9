/**
 * Image generation in the simulator: `requestType: "image_gen"` on an image model answers with a
 * small, valid PNG in `inlineData` (plus a line of text when TEXT is among responseModalities).
 * Checks what upstream checks: image models take only image_gen calls, and imageConfig values
 * must be ones upstream knows (cloudcode-protocol.md, "Image generation").
 */
import { deflateSync } from "node:zlib";
import type { Generation } from "./generate.ts";
import type { SimModel } from "./types.ts";
import { isRecord, type WireGenerateRequest } from "./wire.ts";

const ASPECT_RATIOS = new Set(["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"]);
/** Long side of the simulated picture per size class: tiny on purpose, but proportional. */
const LONG_SIDE: Record<string, number> = { "1K": 32, "2K": 48, "4K": 64 };

export function isImageModel(model: SimModel): boolean {
  return /-image(?:-|$)/.test(model.id);
}

/** Whether this call is for the image path; a mismatch between call and model is a 400 upstream. */
export function imageGenProblem(body: Record<string, unknown>, model: SimModel, request: WireGenerateRequest): string | null {
  const imageCall = body.requestType === "image_gen";
  if (imageCall !== isImageModel(model)) {
    return imageCall
      ? `Model ${model.id} does not support image generation.`
      : `Model ${model.id} only serves image generation (requestType "image_gen").`;
  }
  if (!imageCall) return null;
  const config = request.generationConfig?.imageConfig;
  if (config === undefined) return null;
  if (!isRecord(config)) return "Invalid value at 'request.generation_config.image_config': expected an object.";
  for (const key of Object.keys(config)) {
    if (key !== "aspectRatio" && key !== "imageSize") return `Invalid JSON payload received. Unknown name "${key}" at 'request.generation_config.image_config': Cannot find field.`;
  }
  if (config.aspectRatio !== undefined && !ASPECT_RATIOS.has(String(config.aspectRatio))) {
    return `Unsupported aspect ratio ${JSON.stringify(config.aspectRatio)}; use one of ${[...ASPECT_RATIOS].join(", ")}.`;
  }
  if (config.imageSize !== undefined && !(String(config.imageSize) in LONG_SIDE)) {
    return `Unsupported image size ${JSON.stringify(config.imageSize)}; use 1K, 2K or 4K.`;
  }
  return null;
}

export function isImageCall(body: Record<string, unknown>): boolean {
  return body.requestType === "image_gen";
}

export function generateImage(request: WireGenerateRequest): Generation {
  const prompt = (request.contents ?? []).flatMap((c) => c.parts ?? []).map((p) => (typeof p.text === "string" ? p.text : "")).join(" ").trim();
  const config = request.generationConfig ?? {};
  const imageConfig = isRecord(config.imageConfig) ? config.imageConfig : {};
  const [w, h] = String(imageConfig.aspectRatio ?? "1:1").split(":").map(Number) as [number, number];
  const long = LONG_SIDE[String(imageConfig.imageSize ?? "1K")] ?? 32;
  const width = w >= h ? long : Math.max(1, Math.round((long * w) / h));
  const height = h >= w ? long : Math.max(1, Math.round((long * h) / w));
  // The prompt picks the colour: the same request draws the same picture.
  const color = Number(Bun.hash(prompt || "image") & 0xffffffn);
  const data = encodePng(width, height, [(color >> 16) & 255, (color >> 8) & 255, color & 255]).toString("base64");

  const modalities = Array.isArray(config.responseModalities) ? config.responseModalities.map(String) : ["IMAGE"];
  const chunks: Generation["chunks"] = [];
  if (modalities.includes("TEXT")) chunks.push({ text: `Simulated picture of: ${prompt.slice(0, 60) || "(no prompt)"}` });
  chunks.push({ inlineData: { mimeType: "image/png", data } });
  return { chunks, finishReason: "STOP", promptTokens: Math.ceil(prompt.length / 4) + 1, candidatesTokens: 1290, thoughtsTokens: 0 };
}

/** A solid-colour RGB PNG: signature, IHDR, one IDAT (zlib), IEND, each chunk with its CRC. */
export function encodePng(width: number, height: number, rgb: [number, number, number]): Buffer {
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set(rgb, 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, no filter method, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", deflateSync(raw)),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
