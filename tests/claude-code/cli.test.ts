// The real Claude Code CLI (`claude -p`, the devDependency) against `agcp start --demo`: a plain
// answer, a tool round trip (the sim's agent-like answer calls Read, the CLI reads the file, the
// sim's final text quotes it) and a web search (WebSearch → agcp's web_search call → the sim).
// No network: the nonessential-traffic switches are set, and every proxy variable points at a
// local trap that records and refuses connections, so an attempt to reach the internet fails fast
// and fails the test.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, REPO, spawnCli, tempDir, type RunningCli } from "../cli/helpers.ts";

const CLAUDE = join(REPO, "node_modules/.bin/claude");
const RUN_TIMEOUT_MS = 90_000;

let agcp: RunningCli;
let baseUrl: string;
let home: string;
let project: string;
/** First line of every connection the CLI opened through a proxy (it must open none). */
const proxied: string[] = [];
let trap: Bun.TCPSocketListener<undefined>;

beforeAll(async () => {
  trap = Bun.listen<undefined>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        proxied.push("(connection)");
        // Refuse at once, whatever it wanted: no waiting on a proxy that never answers.
        setTimeout(() => socket.end(), 0);
      },
      data(_socket, data) {
        proxied.push(data.toString("utf8").split("\r\n")[0] ?? "");
      },
    },
  });
  // The trap works: a request sent through it is recorded and refused (and goes nowhere).
  await fetch("https://example.com/", { proxy: `http://127.0.0.1:${trap.port}`, signal: AbortSignal.timeout(5_000) }).catch(() => {});
  if (!proxied.some((line) => line.startsWith("CONNECT example.com:443"))) throw new Error(`proxy trap saw ${JSON.stringify(proxied)}`);
  proxied.length = 0;

  const port = await freePort();
  agcp = spawnCli(["start", "--demo", "--demo-accounts", "2", "--port", String(port)]);
  await agcp.waitFor(/export ANTHROPIC_AUTH_TOKEN=/, 20_000);
  baseUrl = `http://127.0.0.1:${port}`;
  home = tempDir("agcp-claude-home-");
  project = tempDir("agcp-claude-project-");
  mkdirSync(join(home, ".claude"), { recursive: true });
}, 30_000);

afterAll(() => {
  agcp?.proc.kill("SIGTERM");
  trap?.stop(true);
});

interface ClaudeResult {
  type: string;
  subtype: string;
  is_error: boolean;
  result: string;
  num_turns: number;
  modelUsage: Record<string, { webSearchRequests?: number }>;
}

/** One `claude -p` run with a clean environment: nothing from the developer's shell but PATH. */
async function claude(prompt: string, args: string[] = []): Promise<ClaudeResult> {
  const proxy = `http://127.0.0.1:${trap.port}`;
  const proc = Bun.spawn([CLAUDE, "-p", prompt, "--output-format", "json", ...args], {
    cwd: project,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      CLAUDE_CONFIG_DIR: join(home, ".claude"),
      ANTHROPIC_BASE_URL: baseUrl,
      ANTHROPIC_API_KEY: "sk-ant-dummy-for-agcp",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_AUTOUPDATER: "1",
      DISABLE_TELEMETRY: "1",
      DISABLE_ERROR_REPORTING: "1",
      DISABLE_BUG_COMMAND: "1",
      // Keep WebSearch among the tools sent (not deferred behind ToolSearch).
      ENABLE_TOOL_SEARCH: "false",
      HTTPS_PROXY: proxy,
      HTTP_PROXY: proxy,
      ALL_PROXY: proxy,
      https_proxy: proxy,
      http_proxy: proxy,
      NO_PROXY: "127.0.0.1,localhost",
      no_proxy: "127.0.0.1,localhost",
      NO_COLOR: "1",
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), RUN_TIMEOUT_MS - 5_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  if (code !== 0) throw new Error(`claude exited ${code}\nstdout: ${stdout.slice(0, 2000)}\nstderr: ${stderr.slice(0, 2000)}`);
  return JSON.parse(stdout) as ClaudeResult;
}

describe("claude -p through agcp --demo", () => {
  test(
    "a plain prompt gets the simulator's answer",
    async () => {
      const out = await claude("Say hello in five words.");
      expect(out.is_error).toBe(false);
      expect(out.subtype).toBe("success");
      expect(out.result).toContain("reply to: Say hello in five words.");
    },
    RUN_TIMEOUT_MS,
  );

  test(
    "a tool round trip: the model calls Read on a file it was not told the tool for, the CLI reads it, the answer quotes it",
    async () => {
      const secret = `XYZZY-${crypto.randomUUID().slice(0, 8)}`;
      writeFileSync(join(project, "config.js"), `export const secret = "${secret}";\n`);
      const out = await claude("read config.js", ["--allowedTools", "Read"]);
      expect(out.is_error).toBe(false);
      expect(out.num_turns).toBeGreaterThanOrEqual(2);
      expect(out.result).toContain("got the Read result");
      expect(out.result).toContain(secret);
    },
    RUN_TIMEOUT_MS,
  );

  test(
    "a web search: WebSearch goes through agcp's web_search call and its results reach the model",
    async () => {
      const out = await claude("Search the web for bun test runner snapshots", ["--allowedTools", "WebSearch"]);
      expect(out.is_error).toBe(false);
      expect(out.result).toContain("got the WebSearch result");
      expect(out.result).toContain('Web search results for query: "bun test runner snapshots"');
      expect(out.result).toContain("Bun test runner snapshots — result 1");
      const searches = Object.values(out.modelUsage).reduce((n, u) => n + (u.webSearchRequests ?? 0), 0);
      expect(searches).toBe(1);
      // agcp made the search on the web search model, through the pool.
      const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/agcp_requests_total\{[^}]*model="gemini-3\.1-flash-lite"[^}]*outcome="ok"[^}]*\} [1-9]/);
    },
    RUN_TIMEOUT_MS,
  );

  test("nothing tried to leave the machine", () => {
    expect(proxied).toEqual([]);
  });
});
