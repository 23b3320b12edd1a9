import { describe, expect, test } from "bun:test";
import { parametersProblem } from "../../src/sim/schema-rules.ts";
import { EMPTY_OBJECT_PLACEHOLDER, sanitizeToolSchema, withoutPlaceholder } from "../../src/google/schema-sanitize.ts";

/** What an otherwise empty object carries, because upstream refuses OBJECT with no properties. */
const PLACEHOLDER = { [EMPTY_OBJECT_PLACEHOLDER]: { type: "boolean", description: "Unused; always leave out." } };

const DRAFT7 = "http://json-schema.org/draft-07/schema#";

/** Keywords the upstream subset allows; anything else in the output is a bug. */
const ALLOWED = new Set(["type", "description", "nullable", "enum", "properties", "required", "items"]);

function assertUpstreamSubset(node: unknown, path = "$"): void {
  if (node === null || typeof node !== "object") throw new Error(`${path}: not a schema object`);
  const s = node as Record<string, unknown>;
  for (const key of Object.keys(s)) if (!ALLOWED.has(key)) throw new Error(`${path}: unsupported keyword ${key}`);
  if (typeof s.type !== "string") throw new Error(`${path}: needs exactly one type`);
  if (s.type === "object") {
    if (typeof s.properties !== "object" || s.properties === null) throw new Error(`${path}: object without properties`);
    if (Object.keys(s.properties).length === 0) throw new Error(`${path}: object with empty properties`);
    for (const [k, v] of Object.entries(s.properties)) assertUpstreamSubset(v, `${path}.${k}`);
    if (s.required !== undefined) {
      const req = s.required as string[];
      for (const r of req) if (!(r in (s.properties as object))) throw new Error(`${path}: required ${r} is not a property`);
    }
  } else if (s.properties !== undefined || s.required !== undefined) throw new Error(`${path}: properties on a ${s.type}`);
  if (s.type === "array") assertUpstreamSubset(s.items, `${path}[]`);
  else if (s.items !== undefined) throw new Error(`${path}: items on a ${s.type}`);
  if (s.enum !== undefined && (s.type !== "string" || !(s.enum as unknown[]).every((v) => typeof v === "string"))) {
    throw new Error(`${path}: enum must be strings on a string`);
  }
}

// Shapes as Claude Code, zod-to-json-schema, pydantic (FastMCP) and hand-written MCP servers emit them.
const realWorld: Record<string, unknown> = {
  "Claude Code Bash": {
    type: "object",
    properties: {
      command: { type: "string", description: "The command to execute" },
      timeout: { type: "number", description: "Optional timeout in milliseconds (max 600000)" },
      description: { type: "string", description: "What this command does" },
      run_in_background: { type: "boolean" },
    },
    required: ["command"],
    additionalProperties: false,
    $schema: DRAFT7,
  },
  "Claude Code TodoWrite": {
    type: "object",
    properties: {
      todos: {
        type: "array",
        items: {
          type: "object",
          properties: {
            content: { type: "string", minLength: 1 },
            status: { type: "string", enum: ["pending", "in_progress", "completed"] },
            activeForm: { type: "string", minLength: 1 },
          },
          required: ["content", "status", "activeForm"],
          additionalProperties: false,
        },
        description: "The updated todo list",
      },
    },
    required: ["todos"],
    additionalProperties: false,
    $schema: DRAFT7,
  },
  "Claude Code MultiEdit": {
    type: "object",
    properties: {
      file_path: { type: "string" },
      edits: {
        type: "array",
        minItems: 1,
        items: {
          type: "object",
          properties: { old_string: { type: "string" }, new_string: { type: "string" }, replace_all: { type: "boolean", default: false } },
          required: ["old_string", "new_string"],
          additionalProperties: false,
        },
      },
    },
    required: ["file_path", "edits"],
    additionalProperties: false,
    $schema: DRAFT7,
  },
  "pydantic model with $defs, anyOf null, titles and defaults": {
    $defs: {
      Priority: { enum: ["low", "high"], title: "Priority", type: "string" },
      Label: {
        properties: { name: { title: "Name", type: "string" }, color: { anyOf: [{ type: "string" }, { type: "null" }], default: null, title: "Color" } },
        required: ["name"],
        title: "Label",
        type: "object",
      },
    },
    properties: {
      title: { title: "Title", type: "string", maxLength: 200 },
      priority: { $ref: "#/$defs/Priority", default: "low" },
      labels: { anyOf: [{ items: { $ref: "#/$defs/Label" }, type: "array" }, { type: "null" }], default: null, title: "Labels" },
      due: { anyOf: [{ format: "date-time", type: "string" }, { type: "null" }], default: null },
    },
    required: ["title"],
    title: "create_issueArguments",
    type: "object",
  },
  "recursive tree via definitions": {
    type: "object",
    definitions: {
      node: { type: "object", properties: { name: { type: "string" }, children: { type: "array", items: { $ref: "#/definitions/node" } } } },
    },
    properties: { root: { $ref: "#/definitions/node" } },
  },
  "oneOf of objects, type arrays, const, integer enum": {
    type: "object",
    properties: {
      target: {
        oneOf: [
          { type: "object", properties: { kind: { const: "file" }, path: { type: "string" } }, required: ["kind", "path"] },
          { type: "object", properties: { kind: { const: "url" }, url: { type: "string", format: "uri" } }, required: ["kind", "url"] },
        ],
      },
      count: { type: ["integer", "null"], minimum: 1, maximum: 10 },
      level: { type: "integer", enum: [1, 2, 3] },
      mode: { anyOf: [{ const: "fast" }, { const: "slow" }] },
      anything: {},
      tags: { type: "array" },
      meta: { type: "object", additionalProperties: { type: "string" } },
    },
    required: ["target", "ghost"],
  },
  "allOf composition": {
    type: "object",
    properties: {
      item: {
        allOf: [
          { type: "object", properties: { id: { type: "string" } }, required: ["id"] },
          { properties: { size: { type: "number", exclusiveMinimum: 0 } }, required: ["size"] },
        ],
        description: "An item",
      },
    },
  },
};

describe("sanitizeToolSchema keeps only what upstream accepts", () => {
  for (const [name, schema] of Object.entries(realWorld)) {
    test(name, () => {
      const out = sanitizeToolSchema(schema);
      assertUpstreamSubset(out);
      // The simulator's rules are the spec: the same checks upstream makes find nothing.
      expect(parametersProblem(out, "tools[0].function_declarations[0]")).toBeNull();
      expect(out.type).toBe("object");
      // The input is never mutated.
      expect(JSON.stringify(schema)).toBe(JSON.stringify(realWorld[name]));
    });
  }
});

type S = Record<string, any>;

describe("sanitizeToolSchema rules", () => {
  test("drops $schema/additionalProperties and folds minLength into the description", () => {
    const out = sanitizeToolSchema(realWorld["Claude Code TodoWrite"]) as S;
    const item = out.properties.todos.items;
    expect(item.properties.status).toEqual({ type: "string", enum: ["pending", "in_progress", "completed"] });
    expect(item.properties.content).toEqual({ type: "string", description: "(minLength: 1)" });
    expect(item.required).toEqual(["content", "status", "activeForm"]);
    expect(out.$schema).toBeUndefined();
  });

  test("inlines $ref, turns anyOf-with-null into nullable, folds default and format, drops title", () => {
    const out = sanitizeToolSchema(realWorld["pydantic model with $defs, anyOf null, titles and defaults"]) as S;
    expect(out.properties.priority).toEqual({ type: "string", enum: ["low", "high"], description: "(default: low)" });
    expect(out.properties.labels.type).toBe("array");
    expect(out.properties.labels.nullable).toBe(true);
    expect(out.properties.labels.items.properties.color).toEqual({ type: "string", nullable: true, description: "(default: null)" });
    expect(out.properties.labels.items.required).toEqual(["name"]);
    expect(out.properties.due).toEqual({ type: "string", nullable: true, description: "(default: null) (format: date-time)" });
    expect(out.properties.title.description).toBe("(maxLength: 200)");
    expect(JSON.stringify(out)).not.toContain("Title");
  });

  test("stops at a cycle but keeps the shape", () => {
    const out = sanitizeToolSchema(realWorld["recursive tree via definitions"]) as S;
    const child = out.properties.root.properties.children.items;
    expect(child.type).toBe("object");
    expect(child.description).toContain("recursive");
  });

  test("merges a union of objects; required only where every variant agrees", () => {
    const out = sanitizeToolSchema(realWorld["oneOf of objects, type arrays, const, integer enum"]) as S;
    const target = out.properties.target;
    expect(Object.keys(target.properties).sort()).toEqual(["kind", "path", "url"]);
    expect(target.required).toEqual(["kind"]);
    expect(target.properties.kind).toEqual({ type: "string", enum: ["file"] });
    expect(out.properties.count).toEqual({ type: "integer", nullable: true, description: "(minimum: 1) (maximum: 10)" });
    expect(out.properties.level).toEqual({ type: "integer", description: "(one of: 1, 2, 3)" });
    expect(out.properties.mode).toEqual({ type: "string", enum: ["fast", "slow"] });
    expect(out.properties.anything.type).toBe("string");
    expect(out.properties.tags).toEqual({ type: "array", items: { type: "string" } });
    expect(out.properties.meta).toEqual({ type: "object", properties: PLACEHOLDER, description: "(map of string values)" });
    expect(out.required).toEqual(["target"]);
  });

  test("allOf merges properties and required", () => {
    const out = sanitizeToolSchema(realWorld["allOf composition"]) as S;
    expect(out.properties.item.type).toBe("object");
    expect(Object.keys(out.properties.item.properties)).toEqual(["id", "size"]);
    expect(out.properties.item.required).toEqual(["id", "size"]);
    expect(out.properties.item.description).toBe("An item");
    expect(out.properties.item.properties.size.description).toBe("(exclusiveMinimum: 0)");
  });

  test("mixed-type unions keep the first type and name the others", () => {
    const out = sanitizeToolSchema({ type: "object", properties: { v: { anyOf: [{ type: "string" }, { type: "number" }] } } }) as S;
    expect(out.properties.v).toEqual({ type: "string", description: "(also accepts: number)" });
    const arr = sanitizeToolSchema({ type: "object", properties: { v: { type: ["number", "string"] } } }) as S;
    expect(arr.properties.v).toEqual({ type: "number", description: "(also accepts: string)" });
  });

  test("upper-case types are normalised", () => {
    const out = sanitizeToolSchema({ type: "OBJECT", properties: { a: { type: "STRING" } } }) as S;
    expect(out).toEqual({ type: "object", properties: { a: { type: "string" } } });
  });

  test("garbage in still gives a parameterless object", () => {
    expect(sanitizeToolSchema(undefined)).toEqual({ type: "object", properties: PLACEHOLDER });
    expect(sanitizeToolSchema({ type: "string", description: "x" })).toEqual({ type: "object", properties: PLACEHOLDER, description: "x" });
    expect(sanitizeToolSchema({ $ref: "#/nowhere" })).toEqual({ type: "object", properties: PLACEHOLDER, description: "(unresolved reference: nowhere)" });
  });

  test("an object with no properties gets the optional placeholder, at any depth", () => {
    const out = sanitizeToolSchema({ type: "object", properties: { opts: { type: "object" } } }) as S;
    expect(out.properties.opts).toEqual({ type: "object", properties: PLACEHOLDER });
    expect(sanitizeToolSchema({ type: "object", properties: {}, required: [] })).toEqual({ type: "object", properties: PLACEHOLDER });
    assertUpstreamSubset(sanitizeToolSchema({}));
  });

  test("the placeholder is taken out of the model's arguments, and nothing else is touched", () => {
    const args = { a: 1, [EMPTY_OBJECT_PLACEHOLDER]: true, nested: { [EMPTY_OBJECT_PLACEHOLDER]: false, b: [{ [EMPTY_OBJECT_PLACEHOLDER]: 1, c: 2 }] } };
    expect(withoutPlaceholder(args)).toEqual({ a: 1, nested: { b: [{ c: 2 }] } });
    const clean = { a: [1, 2], b: { c: "d" } };
    expect(withoutPlaceholder(clean)).toBe(clean);
    expect(withoutPlaceholder(undefined)).toEqual({});
  });

  test("shared references are expanded each time, but a blow-up is bounded", () => {
    // Each level refers to the next twice: 2^30 nodes if expanded naively.
    const defs: Record<string, unknown> = { l30: { type: "string" } };
    for (let i = 29; i >= 0; i--) {
      defs[`l${i}`] = { type: "object", properties: { a: { $ref: `#/$defs/l${i + 1}` }, b: { $ref: `#/$defs/l${i + 1}` } } };
    }
    const started = performance.now();
    const out = sanitizeToolSchema({ $defs: defs, $ref: "#/$defs/l0" });
    expect(performance.now() - started).toBeLessThan(2000);
    assertUpstreamSubset(out);
  });
});
