/**
 * `--help` output: citty's usage plus an EXAMPLES section, printed through consola.
 * Examples live in a registry keyed by command so command files stay plain citty definitions.
 */
import { renderUsage, type ArgsDef, type CommandDef } from "citty";
import { colors } from "consola/utils";

// biome-ignore lint: citty's own generic default
type AnyCommand = CommandDef<any>;

const examplesByCommand = new WeakMap<AnyCommand, readonly string[]>();

/** Attach examples (shell lines; `# text` lines are comments) shown by `--help`. */
export function withExamples<T extends ArgsDef>(command: CommandDef<T>, examples: readonly string[]): CommandDef<T> {
  examplesByCommand.set(command as AnyCommand, examples);
  return command;
}

export function examplesOf(command: AnyCommand): readonly string[] {
  return examplesByCommand.get(command) ?? [];
}

export async function renderHelp(command: AnyCommand, parent?: AnyCommand): Promise<string> {
  const usage = await renderUsage(command, parent);
  const examples = examplesOf(command);
  if (examples.length === 0) return usage;
  const lines = examples.map((line) => (line.startsWith("#") ? `  ${colors.gray(line)}` : `  $ ${line}`));
  return `${usage}\n\n${colors.underline(colors.bold("EXAMPLES"))}\n\n${lines.join("\n")}\n`;
}
