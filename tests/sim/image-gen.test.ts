// The simulator's image generation: requestType "image_gen" on the image model answers a real PNG
// shaped by imageConfig; mismatches between call and model, and unknown imageConfig values, are 400s.
import { inflateSync } from "node:zlib";
import { beforeAll, describe, expect, test } from "bun:test";
import { ACCOUNT, parseSse, startSim, userText, type Harness } from "./helpers.ts";

let h: Harness;
let token: string;

beforeAll(async () => {
  h = await startSim({ accounts: [ACCOUNT] });
  token = await h.token(ACCOUNT.refreshToken);
});

function imageEnvelope(generationConfig: Record<string, unknown>, model = "gemini-3.1-flash-image", requestType = "image_gen") {
  return {
    model,
    requestType,
    project: "proj-a",
    userAgent: "antigravity",
    requestId: "image_gen/1/abc/12",
    request: { contents: [userText("a red fox")], generationConfig },
  };
}

/** Checks the PNG structure (signature, chunk CRCs, pixel data size) and returns its dimensions. */
function decodePng(b64: string): { width: number; height: number } {
  const bytes = Buffer.from(b64, "base64");
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let at = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  const types: string[] = [];
  while (at < bytes.length) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.subarray(at + 4, at + 8).toString("ascii");
    const data = bytes.subarray(at + 8, at + 8 + length);
    const crc = bytes.readUInt32BE(at + 8 + length);
    expect(crc).toBe(Bun.hash.crc32(bytes.subarray(at + 4, at + 8 + length)));
    types.push(type);
    if (type === "IHDR") [width, height] = [data.readUInt32BE(0), data.readUInt32BE(4)];
    if (type === "IDAT") idat.push(data);
    at += 12 + length;
  }
  expect(types).toEqual(["IHDR", "IDAT", "IEND"]);
  // One filter byte plus RGB per pixel, per row.
  expect(inflateSync(Buffer.concat(idat)).length).toBe(height * (1 + width * 3));
  return { width, height };
}

async function imagePart(res: Response): Promise<{ mimeType: string; data: string }> {
  expect(res.status).toBe(200);
  const body = (await res.json()) as { response: { candidates: { content: { parts: { inlineData?: { mimeType: string; data: string } }[] } }[] } };
  const part = body.response.candidates[0]!.content.parts.find((p) => p.inlineData);
  expect(part).toBeDefined();
  return part!.inlineData!;
}

describe("image_gen", () => {
  test("answers a valid PNG whose shape follows aspectRatio and imageSize", async () => {
    const wide = await imagePart(await h.call("generateContent", imageEnvelope({ imageConfig: { aspectRatio: "16:9", imageSize: "2K" } }), token));
    expect(wide.mimeType).toBe("image/png");
    expect(decodePng(wide.data)).toEqual({ width: 48, height: 27 });
    const square = await imagePart(await h.call("generateContent", imageEnvelope({ imageConfig: {} }), token));
    expect(decodePng(square.data)).toEqual({ width: 32, height: 32 });
  });

  test("streams the picture as an inlineData part, with text first when TEXT is a modality", async () => {
    const res = await h.call("streamGenerateContent", imageEnvelope({ responseModalities: ["TEXT", "IMAGE"] }), token, "?alt=sse");
    const parts = parseSse(await res.text()).flatMap((f: any) => f.response.candidates[0].content.parts);
    expect(typeof parts[0].text).toBe("string");
    expect(parts.at(-1).inlineData.mimeType).toBe("image/png");
  });

  test("400s: image_gen on a chat model, an agent call on the image model, unknown imageConfig values", async () => {
    const bad = [
      imageEnvelope({}, "gemini-3-flash"),
      imageEnvelope({}, "gemini-3.1-flash-image", "agent"),
      imageEnvelope({ imageConfig: { aspectRatio: "7:3" } }),
      imageEnvelope({ imageConfig: { imageSize: "8K" } }),
      imageEnvelope({ imageConfig: { quality: "best" } }),
    ];
    for (const env of bad) {
      const res = await h.call("generateContent", env, token);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { status: string } }).error.status).toBe("INVALID_ARGUMENT");
    }
  });
});
