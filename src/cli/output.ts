/**
 * Text the user asked for (help, version, copy-paste snippets) must come out verbatim: consola's
 * basic reporter (used in CI and tests) would prefix every line with "[log]". This instance keeps
 * consola as the one output path but writes its arguments as-is, whatever the log level.
 */
import { consola, LogLevels, type ConsolaReporter } from "consola";
import { formatWithOptions } from "node:util";

const verbatim: ConsolaReporter = {
  log(logObj, ctx) {
    const stream = logObj.level < 2 ? (ctx.options.stderr ?? process.stderr) : (ctx.options.stdout ?? process.stdout);
    stream.write(`${formatWithOptions({ colors: false }, ...logObj.args)}\n`);
  },
};

export const plain = consola.create({ reporters: [verbatim], level: LogLevels.info });
