import { defineCommand } from "citty";
import { consola } from "consola";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
// Bun embeds the file's text (also in the compiled binary). TypeScript would type this import as
// the module itself, hence the directive; the value is the source of src/config/types.ts.
// @ts-expect-error -- text import, see above
import typesSourceText from "../../config/types.ts" with { type: "text" };
import { globalArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import { withExamples } from "../help.ts";
import { plain } from "../output.ts";
import { CONFIG_FILE, starterConfig, TYPES_FILE } from "../starter.ts";

const TYPES_SOURCE: string = typesSourceText;

export default withExamples(
  defineCommand({
    meta: { name: "init", description: `Write a starter ${CONFIG_FILE} (and its types) into the current folder` },
    args: {
      force: { type: "boolean", description: "Overwrite existing files" },
      ...globalArgs,
    },
    async run({ args }) {
      const dir = process.cwd();
      const files = [
        { name: CONFIG_FILE, content: starterConfig() },
        { name: TYPES_FILE, content: TYPES_SOURCE },
      ];
      const existing = files.filter((f) => existsSync(join(dir, f.name))).map((f) => f.name);
      if (existing.length > 0 && !args.force) {
        throw new UsageError(`${existing.join(" and ")} already exist${existing.length === 1 ? "s" : ""} in ${dir}; use --force to overwrite.`);
      }
      for (const f of files) await writeFile(join(dir, f.name), f.content);
      consola.success(`Wrote ${CONFIG_FILE} and ${TYPES_FILE} in ${dir}`);
      plain.log(
        [
          "",
          "Next:",
          `  1. Add an account to ${CONFIG_FILE} (or run \`agcp accounts add\`).`,
          "  2. agcp start            # or try it first with: agcp start --demo",
        ].join("\n"),
      );
    },
  }),
  ["agcp init", "agcp init --force   # overwrite an existing agcp.config.ts"],
);
