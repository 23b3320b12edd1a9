import { shortHash } from "./state.ts";
import { isRecord, type WireContent, type WireFunctionDeclaration, type WireGenerateRequest, type WirePart } from "./wire.ts";

/**
 * Answers that behave like an agent model: with tools declared, the sim picks the tool that fits
 * what the user asked for even when the prompt never names it ("Run ls -la" → the shell tool,
 * "read config.js" → the read tool, with the path taken from the prompt), calls several at once
 * when the user asks for several things, and works through "…, then …" tasks one step per turn,
 * finishing with text once every step has a result. Everything is a pure function of the request,
 * so the same conversation always gets the same calls.
 */

export interface ChosenCall {
  name: string;
  args: Record<string, unknown>;
  id: string;
}

export interface AgentPlan {
  /** Calls to make now (several = a parallel batch). Empty: answer with text. */
  calls: ChosenCall[];
  /** Which step of the user's task these calls serve (1-based), and how many steps there are. */
  step: number;
  steps: number;
}

type Intent =
  | { kind: "shell"; command: string }
  | { kind: "read"; path: string }
  | { kind: "write"; path: string }
  | { kind: "edit"; path: string }
  | { kind: "list"; path: string }
  | { kind: "grep"; pattern: string }
  | { kind: "web"; query: string }
  | { kind: "fetch"; url: string };

/** Tool names (lower case, non-alphanumerics removed) that each intent is served by, best first. */
const TOOL_NAMES: Record<Intent["kind"], string[]> = {
  shell: ["bash", "shell", "runshellcommand", "runcommand", "executecommand", "exec", "terminal", "runterminalcmd", "command"],
  read: ["read", "readfile", "viewfile", "openfile", "cat", "readtextfile"],
  write: ["write", "writefile", "createfile", "writetofile"],
  edit: ["edit", "editfile", "strreplace", "replaceinfile", "multiedit", "applypatch", "replace"],
  list: ["ls", "listdir", "listdirectory", "listfiles", "glob", "finddirectory"],
  grep: ["grep", "grepsearch", "searchfiles", "search", "codebasesearch", "findinfiles", "rg"],
  web: ["websearch", "searchweb", "googlesearch", "internetsearch"],
  fetch: ["webfetch", "fetch", "fetchurl", "readurl", "urlfetch", "browse"],
};

/** Words in a tool's description that tell what it does, when its name does not. */
const DESCRIPTION_WORDS: Record<Intent["kind"], RegExp> = {
  shell: /\b(shell|bash|command|terminal)\b/i,
  read: /\bread(s|ing)?\b.*\bfile/i,
  write: /\bwrite(s)?\b.*\bfile/i,
  edit: /\b(edit|replace|modif)/i,
  list: /\b(list|glob)\b/i,
  grep: /\b(grep|search)\b.*\b(content|files|code|pattern)/i,
  web: /\bweb\b.*\bsearch|\bsearch\b.*\bweb\b/i,
  fetch: /\bfetch\b.*\b(url|web|page)/i,
};

const FILE_TOKEN = /(?:~|\.{1,2})?(?:\/[\w.@+-]+)+\/?|[\w@+-][\w.@+-]*\.[a-zA-Z][\w]{0,7}\b/g;
const URL_TOKEN = /https?:\/\/[^\s"'`<>)]+/i;

/** The user's words split into steps ("…, then …") and each step into things to do at once ("… and …"). */
export function parseTask(text: string): Intent[][] {
  const steps = text
    .split(/\b(?:and then|then|after that|afterwards)\b|;|\n+/i)
    .map((s) => s.trim())
    .filter(Boolean);
  const out: Intent[][] = [];
  for (const step of steps) {
    const intents = step
      .split(/(?:,\s*(?:and\s+)?|\s+and\s+)(?=(?:also\s+)?(?:run|execute|read|open|show|view|cat|write|create|save|edit|change|fix|list|grep|search|find|look|fetch|download|check)\b)/i)
      .flatMap((piece) => intentsOf(piece));
    if (intents.length > 0) out.push(intents);
  }
  return out;
}

function intentsOf(piece: string): Intent[] {
  const text = piece.trim();
  const url = URL_TOKEN.exec(text)?.[0];
  const backticked = /`([^`]+)`/.exec(text)?.[1]?.trim();

  if (/\b(search|look\s*up|google)\b.*\b(web|internet|online)\b|\bweb\s*search\b|\b(latest|current|today'?s)\s+(news|version|release)/i.test(text)) {
    const query = quoted(text) ?? text.replace(/^.*?\b(?:web\s*search|search(?:\s+the)?\s+(?:web|internet|online)|look\s*up|google)\b\s*(?:for|about|on)?\s*/i, "");
    return [{ kind: "web", query: trimPunctuation(query) || text }];
  }
  if (url && /\b(fetch|download|open|get|read|visit|browse)\b/i.test(text)) return [{ kind: "fetch", url: trimPunctuation(url) }];

  const run = /\b(?:run|execute|exec)\s+(?:the\s+command\s+)?(.+)$/i.exec(text);
  if (backticked && /\b(run|execute|exec|command|shell)\b/i.test(text)) return [{ kind: "shell", command: backticked }];
  if (run?.[1]) return [{ kind: "shell", command: trimPunctuation(run[1].replace(/\s+(?:in|with|using)\s+the\s+(?:shell|terminal)\b.*$/i, "")) }];
  if (/^\s*(?:ls|git|npm|bun|node|pwd|echo|cat|make|python3?|cargo|go)\b/.test(text)) return [{ kind: "shell", command: trimPunctuation(text) }];

  const files = filesIn(text);
  if (/\b(write|create|save)\b/i.test(text) && files[0]) return [{ kind: "write", path: files[0] }];
  if (/\b(edit|change|modify|fix|replace|update)\b/i.test(text) && files[0]) return [{ kind: "edit", path: files[0] }];
  if (/\b(read|open|show|view|cat|look at|print|inspect|what(?:'s| is) in)\b/i.test(text) && files.length > 0) {
    return files.map((path) => ({ kind: "read" as const, path }));
  }
  if (/\b(list|ls)\b.*\b(files?|dir(?:ector(?:y|ies))?|folders?)\b|\bwhat files\b/i.test(text)) return [{ kind: "list", path: files[0] ?? "." }];
  if (/\b(grep|search|find)\b/i.test(text)) {
    const pattern = quoted(text) ?? /\b(?:grep|search|find)\s+(?:for\s+)?(\S+)/i.exec(text)?.[1];
    if (pattern) return [{ kind: "grep", pattern: trimPunctuation(pattern) }];
  }
  return [];
}

function filesIn(text: string): string[] {
  const found = (text.replace(URL_TOKEN, " ").match(FILE_TOKEN) ?? []).map(trimPunctuation).filter((t) => !/^\d+(\.\d+)+$/.test(t));
  return [...new Set(found)];
}

function quoted(text: string): string | undefined {
  return /"([^"]+)"|'([^']+)'|`([^`]+)`/.exec(text)?.slice(1).find((g) => g !== undefined);
}

function trimPunctuation(text: string): string {
  return text.trim().replace(/[.,;:!?)]+$/, "").trim();
}

/**
 * What to do for this request: the next step's calls, or nothing (answer with text). A tool named
 * in the prompt, or one forced by the tool config, wins over the inferred fit.
 */
export function planCalls(request: WireGenerateRequest, userText: string, forcedName?: string): AgentPlan {
  const declarations = (request.tools ?? []).flatMap((t) => t.functionDeclarations ?? []).filter((d) => typeof d.name === "string");
  const none: AgentPlan = { calls: [], step: 0, steps: 0 };
  if (declarations.length === 0) return none;
  const calling = request.toolConfig?.functionCallingConfig;
  const mode = typeof calling?.mode === "string" ? calling.mode.toUpperCase() : "AUTO";
  if (mode === "NONE") return none;
  const allowed = Array.isArray(calling?.allowedFunctionNames) ? calling.allowedFunctionNames.filter((n): n is string => typeof n === "string") : [];
  const usable = allowed.length > 0 ? declarations.filter((d) => allowed.includes(d.name as string)) : declarations;
  const mustCall = mode === "ANY" || allowed.length > 0 || forcedName !== undefined;

  const instructionAt = lastInstructionIndex(request.contents);
  const stepsDone = request.contents.slice(instructionAt + 1).filter((c) => c.role === "model" && (c.parts ?? []).some((p) => p.functionCall)).length;
  const inToolLoop = stepsDone > 0;
  const workdir = workingDirectory(request);
  const callId = (name: string, n: number) => `call_${shortHash(`${name}\n${userText}\n${request.contents.length}\n${n}`, 16)}`;

  // A tool the user named outright: one call, one step.
  const mentioned = usable.find((d) => new RegExp(`\\b${escapeRegExp(d.name as string)}\\b`).test(userText));
  const byRequest = /\b(use|call|invoke|run)\b.*\btools?\b/i.test(userText);
  const steps = parseTask(userText);
  if (!inToolLoop && (mentioned || (byRequest && steps.length === 0))) {
    const chosen = mentioned ?? usable[0]!;
    return { calls: [{ name: chosen.name as string, args: argsFor(chosen, undefined, userText, workdir), id: callId(chosen.name as string, 0) }], step: 1, steps: 1 };
  }

  if (steps.length > 0 && stepsDone < steps.length) {
    const calls: ChosenCall[] = [];
    for (const intent of steps[stepsDone]!) {
      const tool = bestTool(usable, intent);
      if (tool) calls.push({ name: tool.name as string, args: argsFor(tool, intent, userText, workdir), id: callId(tool.name as string, calls.length) });
    }
    if (calls.length > 0) return { calls, step: stepsDone + 1, steps: steps.length };
  }

  if (mustCall && !inToolLoop) {
    const chosen = (forcedName !== undefined ? usable.find((d) => d.name === forcedName) : undefined) ?? mentioned ?? usable[0];
    if (chosen) return { calls: [{ name: chosen.name as string, args: argsFor(chosen, undefined, userText, workdir), id: callId(chosen.name as string, 0) }], step: 1, steps: 1 };
  }
  return { calls: [], step: stepsDone, steps: steps.length };
}

function bestTool(declarations: WireFunctionDeclaration[], intent: Intent): WireFunctionDeclaration | undefined {
  let best: WireFunctionDeclaration | undefined;
  let bestScore = 0;
  const names = TOOL_NAMES[intent.kind];
  for (const d of declarations) {
    const name = String(d.name).toLowerCase().replace(/[^a-z0-9]/g, "");
    const rank = names.indexOf(name);
    let score = rank >= 0 ? 100 - rank : 0;
    if (score === 0 && names.some((n) => n.length > 3 && name.includes(n))) score = 10;
    if (score === 0 && typeof d.description === "string" && DESCRIPTION_WORDS[intent.kind].test(d.description.slice(0, 200))) score = 1;
    if (score > bestScore) {
      best = d;
      bestScore = score;
    }
  }
  // Without a list tool, listing files is a shell command; without a read tool, so is cat.
  if (!best && intent.kind === "list") return bestTool(declarations, { kind: "shell", command: `ls ${intent.path}` });
  if (!best && intent.kind === "read") return bestTool(declarations, { kind: "shell", command: `cat ${intent.path}` });
  return best;
}

/** Arguments a careful agent would send: required fields, plus the ones the prompt gives values for. */
function argsFor(tool: WireFunctionDeclaration, intent: Intent | undefined, userText: string, workdir: string | undefined): Record<string, unknown> {
  const schema = isRecord(tool.parameters) ? tool.parameters : {};
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required.filter((n): n is string => typeof n === "string") : [];
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(properties)) {
    const value = valueFromPrompt(name, properties[name], intent, userText, workdir);
    if (value !== undefined && (required.includes(name) || intent !== undefined)) out[name] = value;
  }
  for (const name of required) if (!(name in out)) out[name] = synthesiseArgs(properties[name]);
  return out;
}

function valueFromPrompt(property: string, schema: unknown, intent: Intent | undefined, userText: string, workdir: string | undefined): unknown {
  const type = isRecord(schema) && typeof schema.type === "string" ? schema.type.toLowerCase() : "string";
  if (type !== "string") return undefined;
  const key = property.toLowerCase().replace(/[^a-z]/g, "");
  const description = isRecord(schema) && typeof schema.description === "string" ? schema.description : "";
  const wantsAbsolute = /absolute/i.test(description);
  if (/^(filepath|path|file|filename|targetfile|absolutepath|notebookpath|dirpath|directory)$/.test(key)) {
    const path = intent && "path" in intent ? intent.path : filesIn(userText)[0];
    if (path === undefined) return undefined;
    return wantsAbsolute || workdir ? absolute(path, workdir) : path;
  }
  if (/^(command|cmd|commandline|script)$/.test(key)) {
    if (intent?.kind === "shell") return intent.command;
    if (intent?.kind === "list") return `ls ${intent.path}`;
    if (intent?.kind === "read") return `cat ${intent.path}`;
    return undefined;
  }
  if (/^(query|q|searchquery|searchterm)$/.test(key)) {
    if (intent?.kind === "web") return intent.query;
    if (intent?.kind === "grep") return intent.pattern;
    return undefined;
  }
  if (/^(pattern|regex)$/.test(key)) {
    if (intent?.kind === "grep") return intent.pattern;
    if (intent?.kind === "list") return "**/*";
    return undefined;
  }
  if (/^(url|uri|link)$/.test(key)) return intent?.kind === "fetch" ? intent.url : URL_TOKEN.exec(userText)?.[0];
  if (/^(content|contents|text|filetext)$/.test(key) && intent?.kind === "write") return "Written by the agcp simulator.\n";
  if (key === "prompt" && intent?.kind === "fetch") return "Summarise the page.";
  if (key === "description" && intent?.kind === "shell") return `Run ${intent.command.split(/\s+/)[0]}`;
  return undefined;
}

function absolute(path: string, workdir: string | undefined): string {
  if (path.startsWith("/") || path.startsWith("~")) return path;
  const base = (workdir ?? "/workspace").replace(/\/+$/, "");
  return `${base}/${path.replace(/^\.\//, "")}`;
}

/** Clients tell agent models where they work (Claude Code: "Primary working directory: /…"). */
function workingDirectory(request: WireGenerateRequest): string | undefined {
  const texts: string[] = [];
  for (const part of request.systemInstruction?.parts ?? []) if (typeof part.text === "string") texts.push(part.text);
  for (const content of request.contents) for (const part of content.parts ?? []) if (typeof part.text === "string") texts.push(part.text);
  for (const text of texts) {
    const m = /(?:working directory|\bcwd)\s*:\s*(\/[^\s`'"]*)/i.exec(text);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

/** Index of the user turn that holds the instruction being worked on (the last with text, not just tool results). */
export function lastInstructionIndex(contents: WireContent[]): number {
  for (let i = contents.length - 1; i >= 0; i--) {
    const c = contents[i];
    // A turn that carries tool results continues the task, even when the client added reminder text to it.
    const parts = c?.parts ?? [];
    if (c?.role === "user" && parts.some((p) => typeof p.text === "string") && !parts.some((p) => p.functionResponse)) return i;
  }
  return -1;
}

/** The words of a tool result, whatever field the client put them in. */
export function resultText(part: WirePart): string {
  const response = part.functionResponse?.response;
  let text: string;
  if (typeof response === "string") text = response;
  else if (isRecord(response)) {
    const field = ["output", "result", "content", "error"].map((k) => response[k]).find((v) => typeof v === "string");
    text = typeof field === "string" ? field : JSON.stringify(response);
  } else text = JSON.stringify(response ?? {});
  return text.replace(/\s+/g, " ").trim();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Values for the schema's required properties only, as a model that does the minimum would. */
export function synthesiseArgs(schema: unknown): unknown {
  if (!isRecord(schema)) return {};
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const type = typeof schema.type === "string" ? schema.type.toLowerCase() : schema.properties ? "object" : "string";
  switch (type) {
    case "string":
      return "example";
    case "number":
    case "integer":
      return 1;
    case "boolean":
      return true;
    case "array":
      return schema.items === undefined ? [] : [synthesiseArgs(schema.items)];
    case "object": {
      const out: Record<string, unknown> = {};
      const properties = isRecord(schema.properties) ? schema.properties : {};
      const required = Array.isArray(schema.required) ? schema.required : [];
      for (const name of required) {
        if (typeof name === "string") out[name] = synthesiseArgs(properties[name]);
      }
      return out;
    }
    default:
      return null;
  }
}
