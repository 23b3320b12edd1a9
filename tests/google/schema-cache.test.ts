import { describe, expect, test } from "bun:test";
import { sanitizeToolSchema, sanitizeToolSchemaCached } from "../../src/google/schema-sanitize.ts";

const schema = () => ({
  type: "object",
  properties: { path: { type: "string", format: "uri" }, n: { type: ["integer", "null"], default: 3 } },
  required: ["path", "missing"],
  additionalProperties: false,
});

describe("sanitizeToolSchemaCached", () => {
  test("gives what sanitizeToolSchema gives, shared for equal schemas", () => {
    const first = sanitizeToolSchemaCached(schema());
    expect(first).toEqual(sanitizeToolSchema(schema()));
    expect(sanitizeToolSchemaCached(schema())).toBe(first);
  });

  test("different schemas get different results", () => {
    const a = sanitizeToolSchemaCached({ type: "object", properties: { a: { type: "string" } } });
    const b = sanitizeToolSchemaCached({ type: "object", properties: { b: { type: "string" } } });
    expect(Object.keys(a.properties as object)).toEqual(["a"]);
    expect(Object.keys(b.properties as object)).toEqual(["b"]);
  });

  test("schemas too large to cache are still sanitised", () => {
    const big = { type: "object", description: "x".repeat(40_000), properties: { q: { type: "string" } } };
    const out = sanitizeToolSchemaCached(big);
    expect(out).toEqual(sanitizeToolSchema(big));
    expect(sanitizeToolSchemaCached(big)).not.toBe(out);
  });
});
