/**
 * Just enough of the protobuf wire format to walk the messages old Antigravity builds kept in
 * state.vscdb: length-delimited fields are returned as bytes, varints as numbers, the rest skipped.
 */
export type ProtoValue = { wire: 0; value: number } | { wire: 2; bytes: Uint8Array };

export type ProtoFields = Map<number, ProtoValue[]>;

function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = pos; i < buf.length && i < pos + 10; i++) {
    const byte = buf[i]!;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return [value, i + 1];
  }
  throw new Error("truncated varint");
}

/** Throws on anything that is not well-formed wire data (callers try several layouts). */
export function decodeProto(buf: Uint8Array): ProtoFields {
  const fields: ProtoFields = new Map();
  let pos = 0;
  while (pos < buf.length) {
    const [tag, next] = readVarint(buf, pos);
    pos = next;
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 0) throw new Error("field number 0");
    let value: ProtoValue | undefined;
    if (wire === 0) {
      const [v, after] = readVarint(buf, pos);
      pos = after;
      value = { wire: 0, value: v };
    } else if (wire === 2) {
      const [length, after] = readVarint(buf, pos);
      if (after + length > buf.length) throw new Error("truncated field");
      value = { wire: 2, bytes: buf.subarray(after, after + length) };
      pos = after + length;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
    if (pos > buf.length) throw new Error("truncated field");
    if (value) fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

export function bytesField(fields: ProtoFields, n: number): Uint8Array | undefined {
  const v = fields.get(n)?.find((f) => f.wire === 2);
  return v?.wire === 2 ? v.bytes : undefined;
}

export function stringField(fields: ProtoFields, n: number): string | undefined {
  const bytes = bytesField(fields, n);
  return bytes ? new TextDecoder().decode(bytes) : undefined;
}

/** Decodes, or undefined when the bytes are not a protobuf message. */
export function tryDecodeProto(buf: Uint8Array | undefined): ProtoFields | undefined {
  if (!buf) return undefined;
  try {
    return decodeProto(buf);
  } catch {
    return undefined;
  }
}

/** For tests and fixtures: encode a message from (field, value) pairs. */
export function encodeProto(entries: ReadonlyArray<[number, string | Uint8Array | number]>): Uint8Array {
  const out: number[] = [];
  const varint = (n: number) => {
    let v = n;
    while (v >= 0x80) {
      out.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(v);
  };
  for (const [field, value] of entries) {
    if (typeof value === "number") {
      varint(field * 8);
      varint(value);
    } else {
      const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
      varint(field * 8 + 2);
      varint(bytes.length);
      out.push(...bytes);
    }
  }
  return Uint8Array.from(out);
}
