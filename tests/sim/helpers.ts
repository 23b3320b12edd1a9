import { afterAll } from "bun:test";
import { createSimulator, type SimOptions, type Simulator } from "../../src/sim/index.ts";

export interface Harness {
  sim: Simulator;
  url: string;
  /** Access token for an account, through the real token endpoint. */
  token(refreshToken: string): Promise<string>;
  call(method: string, body: unknown, token: string, query?: string): Promise<Response>;
  control(method: string, path: string, body?: unknown): Promise<Response>;
}

const open: Simulator[] = [];
afterAll(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

export async function startSim(opts: SimOptions): Promise<Harness> {
  const sim = createSimulator(opts);
  const { url } = await sim.listen();
  open.push(sim);
  return {
    sim,
    url,
    async token(refreshToken) {
      const res = await fetch(`${url}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken }),
      });
      if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}`);
      const json = (await res.json()) as { access_token: string };
      return json.access_token;
    },
    call(method, body, token, query = "") {
      return fetch(`${url}/v1internal:${method}${query}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    },
    control(method, path, body) {
      return fetch(`${url}/__sim/${path}`, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    },
  };
}

export interface SseFrame {
  response: {
    candidates?: { content: { role: string; parts: Record<string, unknown>[] }; finishReason?: string }[];
    usageMetadata?: Record<string, number>;
    modelVersion?: string;
    responseId?: string;
  };
  traceId: string;
}

/** Parses a complete SSE body into its data frames, checking the framing on the way. */
export function parseSse(body: string): SseFrame[] {
  const events = body.split(/\r?\n\r?\n/).filter((e) => e.trim() !== "");
  return events.map((event) => {
    if (!event.startsWith("data: ")) throw new Error(`not a data line: ${event.slice(0, 40)}`);
    return JSON.parse(event.slice("data: ".length)) as SseFrame;
  });
}

export function partsOf(frames: SseFrame[]): Record<string, unknown>[] {
  return frames.flatMap((f) => f.response.candidates?.[0]?.content.parts ?? []);
}

export function textOf(frames: SseFrame[], thought = false): string {
  return partsOf(frames)
    .filter((p) => typeof p.text === "string" && (p.thought === true) === thought)
    .map((p) => p.text as string)
    .join("");
}

export function envelope(project: string, model: string, request: Record<string, unknown>): Record<string, unknown> {
  return { project, model, requestType: "agent", userAgent: "antigravity", requestId: "agent-test", request };
}

export function userText(text: string): { role: string; parts: { text: string }[] } {
  return { role: "user", parts: [{ text }] };
}

export const ACCOUNT = { email: "a@agcp.test", refreshToken: "rt-a", projectId: "proj-a" } as const;
