/**
 * Width and height from the first bytes of a PNG, JPEG, GIF or WebP file, enough to price an
 * image the way Anthropic does without decoding it.
 */

export interface ImageSize {
  width: number;
  height: number;
}

export function imageSize(bytes: Uint8Array): ImageSize | undefined {
  if (bytes.length < 10) return undefined;
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return png(bytes);
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return jpeg(bytes);
  if (bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46) return gif(bytes);
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WEBP") return webp(bytes);
  return undefined;
}

/**
 * Size of a base64-encoded image. Decodes only a prefix first: the header of PNG, GIF and WebP
 * sits in the first bytes, and a JPEG's frame header usually within the first 64 KiB.
 */
export function base64ImageSize(data: string): ImageSize | undefined {
  const prefix = decodeBase64(data.slice(0, 87_384)); // 64 KiB once decoded
  const size = prefix && imageSize(prefix);
  if (size || data.length <= 87_384) return size;
  const whole = decodeBase64(data);
  return whole ? imageSize(whole) : undefined;
}

export function decodeBase64(data: string): Uint8Array | undefined {
  try {
    const clean = data.replace(/\s+/g, "");
    return Buffer.from(clean.slice(0, clean.length - (clean.length % 4)), "base64");
  } catch {
    return undefined;
  }
}

function png(b: Uint8Array): ImageSize | undefined {
  if (b.length < 24 || ascii(b, 12, 4) !== "IHDR") return undefined;
  return valid(be32(b, 16), be32(b, 20));
}

function gif(b: Uint8Array): ImageSize | undefined {
  return valid(le16(b, 6), le16(b, 8));
}

function jpeg(b: Uint8Array): ImageSize | undefined {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1] as number;
    // Fill bytes and standalone markers carry no length.
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    const length = be16(b, i + 2);
    // Start-of-frame markers C0..CF, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return valid(be16(b, i + 7), be16(b, i + 5));
    }
    if (length < 2) return undefined;
    i += 2 + length;
  }
  return undefined;
}

function webp(b: Uint8Array): ImageSize | undefined {
  if (b.length < 30) return undefined;
  const chunk = ascii(b, 12, 4);
  if (chunk === "VP8 ") return valid(le16(b, 26) & 0x3fff, le16(b, 28) & 0x3fff);
  if (chunk === "VP8L") {
    const b0 = b[21] as number;
    const b1 = b[22] as number;
    const b2 = b[23] as number;
    const b3 = b[24] as number;
    return valid(1 + (((b1 & 0x3f) << 8) | b0), 1 + (((b3 & 0x0f) << 10) | (b2 << 2) | ((b1 & 0xc0) >> 6)));
  }
  if (chunk === "VP8X") return valid(1 + le24(b, 24), 1 + le24(b, 27));
  return undefined;
}

function valid(width: number, height: number): ImageSize | undefined {
  return width > 0 && height > 0 ? { width, height } : undefined;
}

function ascii(b: Uint8Array, at: number, n: number): string {
  let s = "";
  for (let k = at; k < at + n && k < b.length; k++) s += String.fromCharCode(b[k] as number);
  return s;
}

const be16 = (b: Uint8Array, i: number) => (((b[i] as number) << 8) | (b[i + 1] as number)) >>> 0;
const le16 = (b: Uint8Array, i: number) => ((b[i] as number) | ((b[i + 1] as number) << 8)) >>> 0;
const le24 = (b: Uint8Array, i: number) => ((b[i] as number) | ((b[i + 1] as number) << 8) | ((b[i + 2] as number) << 16)) >>> 0;
const be32 = (b: Uint8Array, i: number) =>
  (((b[i] as number) << 24) | ((b[i + 1] as number) << 16) | ((b[i + 2] as number) << 8) | (b[i + 3] as number)) >>> 0;
