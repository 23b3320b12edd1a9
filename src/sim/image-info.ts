/**
 * What the sim "sees" in an image part: its format and pixel size, read from the file header.
 * Enough for answers that prove the image arrived intact (a broken base64 or a wrong MIME type
 * shows up as a different size or "unknown").
 */

export interface ImageInfo {
  format: string;
  width?: number;
  height?: number;
  bytes: number;
}

export function imageInfo(mimeType: string, base64: string): ImageInfo {
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(Buffer.from(base64, "base64"));
  } catch {
    bytes = new Uint8Array();
  }
  const size = dimensions(bytes);
  const format = size?.format ?? mimeType.replace(/^image\//, "").toUpperCase();
  return { format, bytes: bytes.length, ...(size && { width: size.width, height: size.height }) };
}

export function describeImage(info: ImageInfo): string {
  const size = info.width !== undefined ? `${info.width}×${info.height} pixels` : "of unknown size";
  return `a ${info.format} image, ${size} (${info.bytes} bytes)`;
}

function dimensions(b: Uint8Array): { format: string; width: number; height: number } | undefined {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length >= 24 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) {
    return { format: "PNG", width: view.getUint32(16), height: view.getUint32(20) };
  }
  if (b.length >= 10 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) {
    return { format: "GIF", width: view.getUint16(6, true), height: view.getUint16(8, true) };
  }
  if (b.length >= 30 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 4) === "WEBP") {
    const chunk = ascii(b, 12, 4);
    if (chunk === "VP8X") return { format: "WEBP", width: 1 + (b[24]! | (b[25]! << 8) | (b[26]! << 16)), height: 1 + (b[27]! | (b[28]! << 8) | (b[29]! << 16)) };
    if (chunk === "VP8 ") return { format: "WEBP", width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
    if (chunk === "VP8L") {
      const bits = view.getUint32(21, true);
      return { format: "WEBP", width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
    }
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    let i = 2;
    while (i + 9 < b.length) {
      if (b[i] !== 0xff) return undefined;
      const marker = b[i + 1]!;
      const length = view.getUint16(i + 2);
      // Start-of-frame markers (baseline, progressive, …) carry the size; DHT/JPG/DAC do not.
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { format: "JPEG", height: view.getUint16(i + 5), width: view.getUint16(i + 7) };
      }
      i += 2 + length;
    }
  }
  return undefined;
}

function ascii(b: Uint8Array, at: number, n: number): string {
  return String.fromCharCode(...b.subarray(at, at + n));
}
