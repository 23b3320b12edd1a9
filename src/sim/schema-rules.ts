/**
 * What upstream checks in a function declaration's `parameters`, node by node. Cloud Code parses
 * the schema into the Vertex `Schema` proto (unknown keys fail the JSON parse) and then checks the
 * semantics; both kinds of failure are a 400 INVALID_ARGUMENT for the whole request.
 *
 * Error texts are the ones users report from the Gemini backend:
 *   "* GenerateContentRequest.tools[0].function_declarations[0].parameters.properties: should be non-empty for OBJECT type"
 *   "* …parameters.properties[statuses].items: missing field."
 *   "* …enum: only allowed for STRING type"
 *   "* …required[0]: property is not defined"
 *   'Invalid JSON payload received. Unknown name "additionalProperties" at …: Cannot find field.'
 * The late-2026 sheet's own request example shows `"properties":{}` with elided ("…") parameters;
 * issue 10 and the field reports above say an empty OBJECT is refused, and that is what this follows.
 */
import { isRecord } from "./wire.ts";

/**
 * Schema keys the proto knows and upstream lets through. Everything else — JSON Schema keywords
 * peers report as refused (`additionalProperties`, `$ref`, `anyOf`, `format`, `minimum`, `title`,
 * `default`, `pattern`, …) and any invented key (`x-*`, `encrypted`) — is an "Unknown name".
 */
const KNOWN_SCHEMA_KEYS = new Set([
  "type",
  "description",
  "nullable",
  "enum",
  "properties",
  "required",
  "items",
  "propertyOrdering",
  "minProperties",
  "maxProperties",
  "example",
]);

/** The proto's Type enum; JSON may spell it in either case ("OBJECT", "object"). */
const TYPES = new Set(["TYPE_UNSPECIFIED", "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"]);

/**
 * First problem in one declaration's parameters, or null. `where` is the declaration's path,
 * e.g. `tools[0].function_declarations[2]`.
 */
export function parametersProblem(schema: unknown, where: string): string | null {
  return nodeProblem(schema, `request.${where}.parameters`, `${where}.parameters`);
}

/**
 * `jsonPath` is the request path used by JSON parse errors ("at 'request.tools[0]…'"), `semPath`
 * the one the semantic checks print after "* GenerateContentRequest.".
 */
function nodeProblem(schema: unknown, jsonPath: string, semPath: string): string | null {
  if (!isRecord(schema)) return `Invalid value at '${jsonPath}' (type.googleapis.com/google.cloud.aiplatform.master.Schema): a schema must be an object.`;
  for (const key of Object.keys(schema)) {
    if (!KNOWN_SCHEMA_KEYS.has(key)) return `Invalid JSON payload received. Unknown name "${key}" at '${jsonPath}': Cannot find field.`;
  }
  const rawType = schema.type;
  if (Array.isArray(rawType)) return `Invalid JSON payload received. Proto field is not repeating, cannot start list. at '${jsonPath}.type'`;
  if (rawType !== undefined && (typeof rawType !== "string" || !TYPES.has(rawType.toUpperCase()))) {
    return `Invalid value at '${jsonPath}.type' (type.googleapis.com/google.cloud.aiplatform.master.Type), ${JSON.stringify(rawType)}`;
  }
  const type = typeof rawType === "string" ? rawType.toUpperCase() : undefined;
  const semantic = (field: string, message: string) => `* GenerateContentRequest.${semPath}.${field}: ${message}`;

  if (schema.enum !== undefined) {
    if (!Array.isArray(schema.enum) || schema.enum.some((v) => typeof v !== "string")) {
      return `Invalid value at '${jsonPath}.enum' (TYPE_STRING), ${JSON.stringify(schema.enum)}`;
    }
    if (type !== "STRING") return semantic("enum", "only allowed for STRING type");
  }

  if (schema.properties !== undefined && !isRecord(schema.properties)) {
    return `Invalid value at '${jsonPath}.properties': expected an object.`;
  }
  const properties = isRecord(schema.properties) ? schema.properties : {};
  if (type === "OBJECT" && Object.keys(properties).length === 0) return semantic("properties", "should be non-empty for OBJECT type");
  for (const [name, child] of Object.entries(properties)) {
    const problem = nodeProblem(child, `${jsonPath}.properties[${JSON.stringify(name)}].value`, `${semPath}.properties[${name}]`);
    if (problem) return problem;
  }

  if (schema.required !== undefined) {
    if (!Array.isArray(schema.required) || schema.required.some((r) => typeof r !== "string")) {
      return `Invalid value at '${jsonPath}.required' (TYPE_STRING), ${JSON.stringify(schema.required)}`;
    }
    for (const [i, name] of (schema.required as string[]).entries()) {
      if (!Object.hasOwn(properties, name)) return semantic(`required[${i}]`, "property is not defined");
    }
  }

  if (type === "ARRAY" && schema.items === undefined) return semantic("items", "missing field.");
  if (schema.items !== undefined) {
    const problem = nodeProblem(schema.items, `${jsonPath}.items`, `${semPath}.items`);
    if (problem) return problem;
  }
  return null;
}
