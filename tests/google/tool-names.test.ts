import { describe, expect, test } from "bun:test";
import { cleanToolName, createToolNameMap, MAX_TOOL_NAME_LENGTH } from "../../src/google/tool-names.ts";

describe("cleanToolName", () => {
  const cases: Array<[string, string]> = [
    ["Read", "Read"],
    ["mcp__github__create_issue", "mcp__github__create_issue"],
    ["mcp__my-server__do.thing", "mcp__my-server__do_thing"],
    ["tool with spaces/and:colons", "tool_with_spaces_and_colons"],
    ["9lives", "_9lives"],
    ["-dash", "_-dash"],
    ["", "_"],
    ["名前", "__"],
  ];
  for (const [input, output] of cases) test(JSON.stringify(input), () => expect(cleanToolName(input)).toBe(output));

  test("truncates to 64", () => {
    const cleaned = cleanToolName("x".repeat(100));
    expect(cleaned).toHaveLength(MAX_TOOL_NAME_LENGTH);
  });
});

describe("createToolNameMap", () => {
  test("round-trips every name, unique upstream names", () => {
    const long = `mcp__${"a".repeat(70)}`;
    const names = ["Read", "a.b", "a_b", "a:b", long, `${long}.2`, "Bash"];
    const map = createToolNameMap(names);
    const upstream = names.map((n) => map.toUpstream(n));
    expect(new Set(upstream).size).toBe(names.length);
    for (const u of upstream) {
      expect(u).toMatch(/^[a-zA-Z_][a-zA-Z0-9_-]*$/);
      expect(u.length).toBeLessThanOrEqual(MAX_TOOL_NAME_LENGTH);
    }
    for (const n of names) expect(map.toOriginal(map.toUpstream(n))).toBe(n);
  });

  test("a name that is already valid keeps it even if listed after a colliding one", () => {
    const map = createToolNameMap(["a.b", "a_b"]);
    expect(map.toUpstream("a_b")).toBe("a_b");
    expect(map.toUpstream("a.b")).toBe("a_b_2");
  });

  test("names first seen in history are registered on the fly", () => {
    const map = createToolNameMap(["Read"]);
    expect(map.toUpstream("old.tool")).toBe("old_tool");
    expect(map.toOriginal("old_tool")).toBe("old.tool");
  });

  test("unknown upstream names come back unchanged", () => {
    expect(createToolNameMap([]).toOriginal("Whatever")).toBe("Whatever");
  });
});
