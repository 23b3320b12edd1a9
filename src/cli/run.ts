/**
 * The CLI driver. citty parses and dispatches; this wraps it so that every usage mistake
 * (unknown command or flag, bad value, bad config) exits 2 and runtime failures exit 1,
 * and so that all output goes through consola.
 */
import type { CommandDef } from "citty";
import { runCommand } from "citty";
import { consola } from "consola";
import { ConfigError } from "../config/errors.ts";
import { suggest } from "../config/errors.ts";
import { LOG_LEVELS } from "../config/schema.ts";
import { EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, RuntimeFailure, UsageError } from "./errors.ts";
import { renderHelp } from "./help.ts";
import { applyLogLevel } from "./log.ts";
import { plain } from "./output.ts";

// biome-ignore lint: citty's own generic default
type AnyCommand = CommandDef<any>;

interface ArgSpec {
  type?: string;
  alias?: string | string[];
}

async function resolve<T>(value: T | (() => T | Promise<T>) | Promise<T>): Promise<T> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

async function argsOf(command: AnyCommand): Promise<Record<string, ArgSpec>> {
  return ((await resolve(command.args)) ?? {}) as Record<string, ArgSpec>;
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function takesValue(flag: string, args: Record<string, ArgSpec>): boolean {
  const name = camel(flag.replace(/^-{1,2}/, ""));
  for (const [key, spec] of Object.entries(args)) {
    if (spec.type !== "string" && spec.type !== "enum") continue;
    const aliases = Array.isArray(spec.alias) ? spec.alias : spec.alias ? [spec.alias] : [];
    if (camel(key) === name || aliases.includes(name)) return true;
  }
  return false;
}

interface Resolved {
  command: AnyCommand;
  parent?: AnyCommand;
  /** Name path, e.g. ["start"]. */
  names: string[];
  /** Arguments belonging to `command` (after its name). */
  args: string[];
  unknownCommand?: string;
}

/** Which (sub)command the arguments address, mirroring citty's own lookup. */
async function resolveCommand(root: AnyCommand, rawArgs: string[]): Promise<Resolved> {
  let current: Resolved = { command: root, names: [], args: rawArgs };
  for (;;) {
    const subCommands = (await resolve(current.command.subCommands)) as Record<string, AnyCommand | (() => Promise<AnyCommand>)> | undefined;
    if (!subCommands || Object.keys(subCommands).length === 0) return current;
    const args = await argsOf(current.command);
    let index = -1;
    for (let i = 0; i < current.args.length; i++) {
      const arg = current.args[i]!;
      if (arg === "--") break;
      if (arg.startsWith("-")) {
        if (!arg.includes("=") && takesValue(arg, args)) i++;
        continue;
      }
      index = i;
      break;
    }
    if (index < 0) return current;
    const name = current.args[index]!;
    const entry = subCommands[name];
    if (!entry) return { ...current, unknownCommand: name };
    const sub = (await resolve(entry)) as AnyCommand;
    current = { command: sub, parent: current.command, names: [...current.names, name], args: current.args.slice(index + 1) };
  }
}

async function subCommandNames(command: AnyCommand): Promise<string[]> {
  return Object.keys(((await resolve(command.subCommands)) as object | undefined) ?? {});
}

/** citty ignores flags it does not know; a typo like `--prot 9000` must not silently start on 8080. */
async function checkFlags(resolved: Resolved): Promise<void> {
  const args = await argsOf(resolved.command);
  const known = new Map<string, ArgSpec>();
  for (const [key, spec] of Object.entries(args)) {
    const aliases = Array.isArray(spec.alias) ? spec.alias : spec.alias ? [spec.alias] : [];
    for (const n of [key, camel(key), kebab(key), ...aliases]) known.set(n, spec);
  }
  for (let i = 0; i < resolved.args.length; i++) {
    const arg = resolved.args[i]!;
    if (arg === "--") return;
    if (!arg.startsWith("-") || arg === "-") continue;
    const name = arg.replace(/^-{1,2}/, "").split("=")[0]!;
    const spec = known.get(name) ?? (name.startsWith("no-") ? known.get(name.slice(3)) : undefined);
    if (!spec || (name.startsWith("no-") && !known.has(name) && spec.type !== "boolean")) {
      const hint = suggest(name, [...known.keys()].filter((k) => k.includes("-") || k === k.toLowerCase()));
      const where = ["agcp", ...resolved.names].join(" ");
      throw new UsageError(`Unknown option ${arg.split("=")[0]} for \`${where}\`${hint ? ` (did you mean --${hint}?)` : ""}`);
    }
    if (!arg.includes("=") && (spec.type === "string" || spec.type === "enum")) i++;
  }
}

/** `--log-level` may appear anywhere; it must apply before any command prints. */
function earlyLogLevel(rawArgs: string[], env: Record<string, string | undefined>): void {
  let value: string | undefined = env.AGCP_LOG_LEVEL || undefined;
  let source = "AGCP_LOG_LEVEL";
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === "--") break;
    if (arg === "--log-level" || arg === "--logLevel") [value, source] = [rawArgs[i + 1] ?? "", "--log-level"];
    else if (arg.startsWith("--log-level=") || arg.startsWith("--logLevel=")) [value, source] = [arg.slice(arg.indexOf("=") + 1), "--log-level"];
  }
  // Set even when unset: consola would otherwise pick its own default (warn under NODE_ENV=test).
  if (value === undefined) {
    applyLogLevel("info");
    return;
  }
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new UsageError(`${source}: expected one of ${LOG_LEVELS.join(", ")}, found ${JSON.stringify(value)}`);
  }
  applyLogLevel(value as (typeof LOG_LEVELS)[number]);
}

export interface RunCliOptions {
  version: string;
  env?: Record<string, string | undefined>;
}

/** Runs the CLI and returns the exit code (long-running commands exit on their own). */
export async function runCli(root: AnyCommand, rawArgs: string[], options: RunCliOptions): Promise<number> {
  let resolved: Resolved | undefined;
  try {
    earlyLogLevel(rawArgs, options.env ?? process.env);
    resolved = await resolveCommand(root, rawArgs);
    const beforeDashes = resolved.args.slice(0, resolved.args.indexOf("--") >>> 0);
    const wantsHelp = beforeDashes.includes("--help") || beforeDashes.includes("-h");
    if (resolved.unknownCommand !== undefined && !wantsHelp) {
      const names = await subCommandNames(resolved.command);
      const hint = suggest(resolved.unknownCommand, names);
      throw new UsageError(
        `Unknown command ${JSON.stringify(resolved.unknownCommand)}${hint ? ` (did you mean "${hint}"?)` : ""}. Commands: ${names.join(", ")}`,
      );
    }
    if (wantsHelp) {
      plain.log(await renderHelp(resolved.command, resolved.parent));
      return EXIT_OK;
    }
    if (resolved.names.length === 0 && (rawArgs.includes("--version") || rawArgs.includes("-v"))) {
      plain.log(options.version);
      return EXIT_OK;
    }
    if (resolved.names.length === 0 && !resolved.command.run) {
      plain.log(await renderHelp(resolved.command));
      consola.error("No command given.");
      return EXIT_USAGE;
    }
    await checkFlags(resolved);
    await runCommand(root, { rawArgs });
    return typeof process.exitCode === "number" ? process.exitCode : EXIT_OK;
  } catch (error) {
    return reportError(error, resolved);
  }
}

function reportError(error: unknown, resolved: Resolved | undefined): number {
  const helpHint = `Run \`${["agcp", ...(resolved?.names ?? [])].join(" ")} --help\` for usage.`;
  if (error instanceof ConfigError) {
    consola.error(`Invalid configuration:\n${error.message}`);
    return EXIT_USAGE;
  }
  if (error instanceof UsageError) {
    consola.error(`${error.message}\n${helpHint}`);
    return EXIT_USAGE;
  }
  if (error instanceof RuntimeFailure) {
    consola.error(error.message);
    return EXIT_RUNTIME;
  }
  // citty's parse errors (missing argument, bad enum value, unknown command).
  if (error instanceof Error && error.name === "CLIError") {
    consola.error(`${error.message}\n${helpHint}`);
    return EXIT_USAGE;
  }
  consola.error(error);
  return EXIT_RUNTIME;
}
