/**
 * Rewrites a tool's JSON Schema into the OpenAPI-style subset Cloud Code accepts.
 *
 * Kept: type, description, nullable, enum (strings), properties, required, items — the keys of the
 * Schema proto upstream takes; anything else is an "Unknown name" 400 there. Everything else
 * is either folded into the description when it tells the model something useful ("(format: uri)",
 * "(default: 3)") or dropped. References are inlined, combinators flattened, and every node ends
 * with exactly one type, because upstream answers 400 to anything else and that 400 would look
 * like an account failure.
 *
 * Two-stage: `transform` rewrites a node but may leave its type open (so combinators can merge
 * partial results), `finalize` closes it (type, properties, items, required).
 */

type Schema = Record<string, unknown>;

interface Context {
  root: Schema;
  /** References being expanded on the current path: seeing one again means a cycle. */
  refs: readonly string[];
  depth: number;
  /** Shared node budget: shared (non-cyclic) references can still expand exponentially. */
  budget: { nodes: number };
}

const MAX_DEPTH = 32;
const MAX_NODES = 20_000;

/** Keywords whose value is worth telling the model, in the order they are appended. */
const FOLDED: ReadonlyArray<[keyword: string, label: string]> = [
  ["format", "format"],
  ["pattern", "pattern"],
  ["minLength", "minLength"],
  ["maxLength", "maxLength"],
  ["minimum", "minimum"],
  ["exclusiveMinimum", "exclusiveMinimum"],
  ["maximum", "maximum"],
  ["exclusiveMaximum", "exclusiveMaximum"],
  ["multipleOf", "multipleOf"],
  ["minItems", "minItems"],
  ["maxItems", "maxItems"],
  ["uniqueItems", "uniqueItems"],
  ["minProperties", "minProperties"],
  ["maxProperties", "maxProperties"],
  ["default", "default"],
];

/**
 * The one property an otherwise empty object gets, because upstream answers 400 to an OBJECT with
 * no properties (parameterless tools, free-form maps). Optional, so the model has no reason to fill
 * it; if it does, `withoutPlaceholder` takes it out of the call before the client sees it.
 */
export const EMPTY_OBJECT_PLACEHOLDER = "_placeholder";
// Shared by every sanitised schema (they are never mutated); not frozen, see the cache below.
const PLACEHOLDER_SCHEMA: Schema = { type: "boolean", description: "Unused; always leave out." };

/** A function call's args without the placeholder property (at any depth), as the client's schema has them. */
export function withoutPlaceholder(args: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!args) return {};
  return stripPlaceholder(args) as Record<string, unknown>;
}

function stripPlaceholder(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(stripPlaceholder);
    return items.some((item, i) => item !== value[i]) ? items : value;
  }
  if (!isObject(value)) return value;
  let changed = false;
  const out: Schema = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === EMPTY_OBJECT_PLACEHOLDER) {
      changed = true;
      continue;
    }
    const next = stripPlaceholder(v);
    if (next !== v) changed = true;
    out[k] = next;
  }
  return changed ? out : value;
}

export function sanitizeToolSchema(schema: unknown): Schema {
  const root = isObject(schema) ? schema : {};
  const ctx: Context = { root, refs: [], depth: 0, budget: { nodes: MAX_NODES } };
  const top = transform(root, ctx);
  // Parameters are an object even when the schema forgot to say so ({} or properties only).
  if (!top.type) top.type = "object";
  const out = finalize(top);
  // Function parameters are always an object; anything else has no valid translation.
  if (out.type !== "object") {
    const wrapped: Schema = { type: "object", properties: { [EMPTY_OBJECT_PLACEHOLDER]: PLACEHOLDER_SCHEMA } };
    if (typeof out.description === "string") wrapped.description = out.description;
    return wrapped;
  }
  return out;
}

/**
 * Clients send the same tool schemas on every turn of a conversation, and sanitising them is a
 * large share of a request's CPU; the JSON text of a schema is much cheaper to produce and fully
 * determines the result. Results are shared between requests and so must never be mutated; they
 * are not frozen because Bun's JSON.stringify takes a path twice as slow for frozen objects.
 */
const CACHE_MAX_ENTRIES = 256;
/** Larger schemas are rare and would make the cache's memory unbounded in practice; they are sanitised each time. */
const CACHE_MAX_KEY_CHARS = 32_768;
const cache = new Map<string, Schema>();

/** `sanitizeToolSchema`, memoised by the schema's JSON text. The result is shared: do not mutate it. */
export function sanitizeToolSchemaCached(schema: unknown): Schema {
  const key = JSON.stringify(schema);
  if (key === undefined || key.length > CACHE_MAX_KEY_CHARS) return sanitizeToolSchema(schema);
  const hit = cache.get(key);
  if (hit) return hit;
  const out = sanitizeToolSchema(schema);
  if (cache.size >= CACHE_MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
  cache.set(key, out);
  return out;
}

function convert(input: unknown, ctx: Context): Schema {
  return finalize(transform(input, ctx));
}

function transform(input: unknown, ctx: Context): Schema {
  if (!isObject(input)) return {};
  if (ctx.depth > MAX_DEPTH || --ctx.budget.nodes < 0) return { description: "(schema truncated: nested too deeply)" };

  if (typeof input.$ref === "string") return transformRef(input, input.$ref, ctx);

  const inner: Context = { ...ctx, depth: ctx.depth + 1 };

  if (Array.isArray(input.allOf)) {
    const { allOf, ...rest } = input;
    return mergeAll([transform(rest, ctx), ...allOf.map((s) => transform(s, inner))]);
  }

  const union = Array.isArray(input.anyOf) ? input.anyOf : Array.isArray(input.oneOf) ? input.oneOf : undefined;
  if (union) {
    const { anyOf: _a, oneOf: _o, ...rest } = input;
    return mergeAll([transform(rest, ctx), combineUnion(union.map((s) => transform(s, inner)))]);
  }

  return transformPlain(input, inner);
}

function transformRef(input: Schema, ref: string, ctx: Context): Schema {
  const { $ref: _ref, ...siblings } = input;
  const target = resolveRef(ctx.root, ref);
  const name = ref.slice(ref.lastIndexOf("/") + 1) || "root";
  if (!target) return mergeAll([transform(siblings, ctx), { description: `(unresolved reference: ${name})` }]);
  if (ctx.refs.includes(ref)) {
    // A cycle: stop expanding and keep only the shape, so the model still knows what goes here.
    const type = lowerType(target.type) ?? (isObject(target.properties) ? "object" : undefined);
    const stub: Schema = { description: `(recursive: same shape as ${name})` };
    if (type) stub.type = type;
    return mergeAll([transform(siblings, ctx), stub]);
  }
  // Siblings of $ref (usually a description) refine the target, so they come first.
  const next: Context = { ...ctx, refs: [...ctx.refs, ref] };
  return mergeAll([transform(siblings, ctx), transform(target, next)]);
}

function transformPlain(input: Schema, ctx: Context): Schema {
  const out: Schema = {};
  const notes: string[] = [];

  const rawType = input.type;
  if (Array.isArray(rawType)) {
    const types = rawType.filter((t): t is string => typeof t === "string").map((t) => t.toLowerCase());
    const real = types.filter((t) => t !== "null");
    if (real.length < types.length) out.nullable = true;
    if (real[0]) out.type = real[0];
    if (real.length > 1) notes.push(`(also accepts: ${real.slice(1).join(", ")})`);
  } else if (typeof rawType === "string") {
    const t = rawType.toLowerCase();
    if (t === "null") out.nullable = true;
    else out.type = t;
  }
  if (input.nullable === true) out.nullable = true;

  const values = "const" in input ? [input.const] : Array.isArray(input.enum) ? input.enum : undefined;
  if (values) {
    const nonNull = values.filter((v) => v !== null);
    if (nonNull.length < values.length) out.nullable = true;
    if (nonNull.length && nonNull.every((v) => typeof v === "string")) {
      out.enum = [...new Set(nonNull)];
      if (!out.type) out.type = "string";
    } else if (nonNull.length) {
      // Upstream enums are string-only; keep the choice visible without changing the value's type.
      notes.push(`(one of: ${nonNull.map(formatValue).join(", ")})`);
      if (!out.type) out.type = jsonType(nonNull[0]);
    }
  }

  if (isObject(input.properties)) {
    const props: Schema = {};
    for (const [key, value] of Object.entries(input.properties)) props[key] = convert(value, ctx);
    out.properties = props;
  }
  if (Array.isArray(input.required)) {
    out.required = input.required.filter((r): r is string => typeof r === "string");
  }

  const items = Array.isArray(input.prefixItems) ? input.prefixItems[0] : Array.isArray(input.items) ? input.items[0] : input.items;
  if (isObject(items)) out.items = convert(items, ctx);

  if (!isObject(input.properties) && isObject(input.additionalProperties)) {
    const valueType = lowerType(input.additionalProperties.type);
    notes.push(valueType ? `(map of ${valueType} values)` : "(map of values)");
    if (!out.type) out.type = "object";
  }

  for (const [keyword, label] of FOLDED) {
    if (keyword in input && input[keyword] !== undefined) notes.push(`(${label}: ${formatValue(input[keyword])})`);
  }
  if (Array.isArray(input.examples) && input.examples.length) notes.push(`(example: ${formatValue(input.examples[0])})`);

  // `title` is dropped, not folded: generators such as pydantic title every property with its own name.
  const base = typeof input.description === "string" ? input.description.trim() : "";
  const description = [base, ...notes].filter(Boolean).join(" ");
  if (description) out.description = description;

  if (!out.type) {
    if (out.properties || out.required) out.type = "object";
    else if (out.items) out.type = "array";
  }
  return out;
}

/**
 * One schema from the variants of anyOf/oneOf: null variants become `nullable`, a single variant
 * stands for the union, objects merge their properties (required only where all agree), string
 * enums merge, and otherwise the first variant wins and the others are named in the description.
 */
function combineUnion(variants: Schema[]): Schema {
  const isNullOnly = (v: Schema) => v.nullable === true && !v.type && !v.properties && !v.enum && !v.items;
  const real = variants.filter((v) => !isNullOnly(v));
  const nullable = real.length < variants.length || real.some((v) => v.nullable === true);
  const withNull = (s: Schema): Schema => (nullable ? { ...s, nullable: true } : s);

  if (real.length === 0) return { nullable: true };
  if (real.length === 1) return withNull(real[0] as Schema);

  const objectish = (v: Schema) => v.type === "object" || (!v.type && (v.properties !== undefined || v.required !== undefined));
  if (real.every(objectish)) {
    const properties: Schema = {};
    for (const v of real) {
      if (isObject(v.properties)) for (const [k, p] of Object.entries(v.properties)) if (!(k in properties)) properties[k] = p;
    }
    const requiredSets = real.map((v) => new Set(Array.isArray(v.required) ? (v.required as string[]) : []));
    const required = [...(requiredSets[0] ?? [])].filter((k) => requiredSets.every((s) => s.has(k)));
    const merged: Schema = { type: "object", properties };
    if (required.length) merged.required = required;
    const description = joinDescriptions(real);
    if (description) merged.description = description;
    return withNull(merged);
  }

  if (real.every((v) => Array.isArray(v.enum))) {
    const values = [...new Set(real.flatMap((v) => v.enum as string[]))];
    return withNull({ ...(real[0] as Schema), type: "string", enum: values });
  }

  const first = real[0] as Schema;
  const others = [...new Set(real.slice(1).map((v) => String(v.type ?? "value")))].filter((t) => t !== first.type);
  if (!others.length) return withNull(first);
  const note = `(also accepts: ${others.join(", ")})`;
  return withNull({ ...first, description: typeof first.description === "string" ? `${first.description} ${note}` : note });
}

/** Merges partial schemas describing the same value (allOf members, a node and its union). */
function mergeAll(parts: Schema[]): Schema {
  const out: Schema = {};
  let properties: Schema | undefined;
  let required: string[] | undefined;
  for (const p of parts) {
    if (p.type && !out.type) out.type = p.type;
    if (p.nullable === true) out.nullable = true;
    if (p.enum && !out.enum) out.enum = p.enum;
    if (p.items && !out.items) out.items = p.items;
    if (isObject(p.properties)) {
      properties ??= {};
      for (const [k, v] of Object.entries(p.properties)) if (!(k in properties)) properties[k] = v;
    }
    if (Array.isArray(p.required)) required = [...new Set([...(required ?? []), ...(p.required as string[])])];
  }
  const description = joinDescriptions(parts);
  if (description) out.description = description;
  if (properties) out.properties = properties;
  if (required) out.required = required;
  if (!out.type && properties) out.type = "object";
  return out;
}

function joinDescriptions(parts: Schema[]): string {
  const seen = new Set<string>();
  for (const p of parts) if (typeof p.description === "string" && p.description) seen.add(p.description);
  return [...seen].join(" ");
}

/** Closes a node: one type, objects with properties and only real required keys, arrays with items. */
function finalize(s: Schema): Schema {
  const out: Schema = { ...s };
  if (!out.type) {
    // An unconstrained value. Upstream needs a type; a string can carry any JSON the model means.
    out.type = "string";
    const note = "(any JSON value)";
    out.description = typeof out.description === "string" ? `${out.description} ${note}` : note;
  }
  if (out.type === "object") {
    let properties = isObject(out.properties) ? out.properties : {};
    // Upstream refuses an OBJECT without properties ("should be non-empty for OBJECT type").
    if (Object.keys(properties).length === 0) properties = { [EMPTY_OBJECT_PLACEHOLDER]: PLACEHOLDER_SCHEMA };
    out.properties = properties;
    if (Array.isArray(out.required)) {
      const required = [...new Set(out.required as string[])].filter((k) => Object.hasOwn(properties, k));
      if (required.length) out.required = required;
      else delete out.required;
    }
  } else {
    delete out.properties;
    delete out.required;
  }
  if (out.type === "array") {
    if (!isObject(out.items)) out.items = { type: "string" };
  } else {
    delete out.items;
  }
  if (out.enum && out.type !== "string") delete out.enum;
  return out;
}

function resolveRef(root: Schema, ref: string): Schema | undefined {
  if (ref === "#") return root;
  if (ref.startsWith("#/")) {
    let cur: unknown = root;
    for (const raw of ref.slice(2).split("/")) {
      const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
      if (!isObject(cur)) return undefined;
      cur = cur[key];
    }
    return isObject(cur) ? cur : undefined;
  }
  // Bare names ("Foo", "#Foo") as some generators emit them: look in the usual definition maps.
  const name = ref.replace(/^#/, "");
  for (const bag of [root.$defs, root.definitions]) {
    if (isObject(bag) && isObject(bag[name])) return bag[name] as Schema;
  }
  return undefined;
}

function lowerType(t: unknown): string | undefined {
  if (typeof t === "string") return t.toLowerCase() === "null" ? undefined : t.toLowerCase();
  if (Array.isArray(t)) return t.find((x): x is string => typeof x === "string" && x.toLowerCase() !== "null")?.toLowerCase();
  return undefined;
}

function jsonType(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  if (typeof v === "boolean") return "boolean";
  if (Array.isArray(v)) return "array";
  if (isObject(v)) return "object";
  return "string";
}

function formatValue(v: unknown): string {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function isObject(v: unknown): v is Schema {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
