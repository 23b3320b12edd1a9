/**
 * Proxy overhead: the same closed-loop load sent three ways, interleaved:
 *   direct   → the simulator's Cloud Code endpoint (the baseline);
 *   forward  → a do-nothing Bun forwarder → the simulator (the physical limit of any proxy in Bun
 *              on this machine: a second hop and nothing else);
 *   agcp     → agcp's /v1/messages → the simulator.
 * Direct and forwarded requests carry the exact envelope agcp sends for the bench request
 * (captured from the simulator), so all three ask upstream for the same work.
 */
import { merge, runLoad, type LoadResult } from "./bench-load.ts";
import type { ServerProcess } from "./bench-procs.ts";
import { benchAccounts } from "./bench-server.ts";

export type TargetName = "direct" | "forward" | "agcp";

export interface TargetRun {
  load: LoadResult;
  /** CPU time (ms) each process used during the measured rounds. */
  cpuMs: { sim: number; proxy: number; loadgen: number };
}

export interface OverheadCell {
  streaming: boolean;
  connections: number;
  runs: Record<TargetName, TargetRun>;
}

export interface OverheadOptions {
  sim: ServerProcess;
  agcp: ServerProcess;
  forwarder: ServerProcess;
  connections: readonly number[];
  /** Seconds per measured round; each side runs `rounds` times, interleaved. */
  roundSec: number;
  rounds: number;
  warmupSec: number;
  onProgress?: (text: string) => void;
}

/**
 * A mid-sized Claude Code-like turn (system prompt, four tools, a tool round trip in the history):
 * enough structure that conversion does real work, small enough that the bench measures the proxy
 * rather than JSON parsing of a 100 KB context.
 */
export function benchRequest(stream: boolean): Record<string, unknown> {
  const schema = (props: string[]) => ({
    type: "object",
    properties: Object.fromEntries(props.map((p) => [p, { type: "string", description: `The ${p} to use.` }])),
    required: props.slice(0, 1),
    additionalProperties: false,
    $schema: "http://json-schema.org/draft-07/schema#",
  });
  return {
    model: "claude-sonnet-4-6",
    max_tokens: 1024,
    stream,
    system: [
      { type: "text", text: "You are a careful coding assistant working in a TypeScript repository. ".repeat(20) },
      { type: "text", text: "Answer briefly.", cache_control: { type: "ephemeral" } },
    ],
    tools: [
      { name: "Read", description: "Read a file from disk.", input_schema: schema(["file_path", "offset", "limit"]) },
      { name: "Edit", description: "Replace text in a file.", input_schema: schema(["file_path", "old_string", "new_string"]) },
      { name: "Bash", description: "Run a shell command.", input_schema: schema(["command", "description"]) },
      { name: "Grep", description: "Search files with a regular expression.", input_schema: schema(["pattern", "path", "glob"]) },
    ],
    messages: [
      { role: "user", content: [{ type: "text", text: "What does src/server/app.ts export?" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Let me look at the file." },
          { type: "tool_use", id: "toolu_bench_1", name: "Read", input: { file_path: "src/server/app.ts" } },
        ],
      },
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "toolu_bench_1", content: "export function createApp(rt: Runtime): H3 { /* ... */ }\n".repeat(10) }],
      },
      { role: "assistant", content: [{ type: "text", text: "It exports createApp, which builds the HTTP app from a runtime." }] },
      { role: "user", content: [{ type: "text", text: "Thanks. Summarise that in one sentence please." }] },
    ],
  };
}

const AGCP_HEADERS = { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "bench" };

interface Target {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** One request through agcp, then the envelope it produced and a token for the account that served it. */
async function directTarget(simUrl: string, agcpUrl: string, streaming: boolean): Promise<Target> {
  let captured: { email: string; body: unknown } | undefined;
  // The quota refresher's own calls also land in lastRequestBody; retry until the generate call is the last one.
  for (let i = 0; i < 20 && !captured; i++) {
    const res = await fetch(`${agcpUrl}/v1/messages`, { method: "POST", headers: AGCP_HEADERS, body: JSON.stringify(benchRequest(streaming)) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`bench request through agcp failed: ${res.status} ${text.slice(0, 300)}`);
    const email = res.headers.get("x-agcp-account") ?? "";
    const view = (await (await fetch(`${simUrl}/__sim/accounts/${encodeURIComponent(email)}`)).json()) as {
      counters: { lastRequestBody: { model?: unknown; request?: unknown } | null };
    };
    const body = view.counters.lastRequestBody;
    if (body?.model && body.request) captured = { email, body };
  }
  if (!captured) throw new Error("could not capture the envelope agcp sends upstream");
  const index = Number(/^bench(\d+)@/.exec(captured.email)?.[1]);
  const account = benchAccounts(index)[index - 1];
  if (!account) throw new Error(`agcp answered from an unknown account ${captured.email}`);
  const token = (await (
    await fetch(`${simUrl}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: account.refreshToken }),
    })
  ).json()) as { access_token: string };
  const method = streaming ? "streamGenerateContent?alt=sse" : "generateContent";
  const target = {
    url: `${simUrl}/v1internal:${method}`,
    headers: {
      authorization: `Bearer ${token.access_token}`,
      "content-type": "application/json",
      accept: streaming ? "text/event-stream" : "application/json",
    },
    body: JSON.stringify(captured.body),
  };
  const check = await fetch(target.url, { method: "POST", headers: target.headers, body: target.body });
  const checkText = await check.text();
  if (check.status !== 200) throw new Error(`direct bench request failed: ${check.status} ${checkText.slice(0, 300)}`);
  return target;
}

export async function benchOverhead(opts: OverheadOptions): Promise<OverheadCell[]> {
  const cells: OverheadCell[] = [];
  const { sim, agcp, forwarder } = opts;
  for (const streaming of [false, true]) {
    const direct = await directTarget(sim.url, agcp.url, streaming);
    const targets: Array<{ name: TargetName; target: Target; proxy?: ServerProcess }> = [
      { name: "direct", target: direct },
      { name: "forward", target: { ...direct, url: direct.url.replace(sim.url, forwarder.url) }, proxy: forwarder },
      { name: "agcp", target: { url: `${agcp.url}/v1/messages`, headers: AGCP_HEADERS, body: JSON.stringify(benchRequest(streaming)) }, proxy: agcp },
    ];
    for (const connections of opts.connections) {
      opts.onProgress?.(`overhead: ${streaming ? "streaming" : "non-streaming"}, ${connections} connections`);
      const run = (t: Target, durationSec: number) => runLoad({ ...t, connections, durationSec });
      for (const t of targets) await run(t.target, opts.warmupSec);
      const loads = new Map<TargetName, LoadResult[]>(targets.map((t) => [t.name, []]));
      const cpu = new Map<TargetName, TargetRun["cpuMs"]>(targets.map((t) => [t.name, { sim: 0, proxy: 0, loadgen: 0 }]));
      // Interleaved rounds: a noisy neighbour on the shared machine hits every side alike.
      for (let i = 0; i < opts.rounds; i++) {
        for (const t of targets) {
          const simBefore = sim.cpuMs();
          const proxyBefore = t.proxy?.cpuMs() ?? 0;
          const selfBefore = process.cpuUsage();
          loads.get(t.name)!.push(await run(t.target, opts.roundSec));
          const self = process.cpuUsage(selfBefore);
          const c = cpu.get(t.name)!;
          c.sim += sim.cpuMs() - simBefore;
          c.proxy += (t.proxy?.cpuMs() ?? 0) - proxyBefore;
          c.loadgen += (self.user + self.system) / 1000;
        }
      }
      const runs = Object.fromEntries(targets.map((t) => [t.name, { load: merge(loads.get(t.name)!), cpuMs: cpu.get(t.name)! }])) as Record<TargetName, TargetRun>;
      cells.push({ streaming, connections, runs });
    }
  }
  return cells;
}
