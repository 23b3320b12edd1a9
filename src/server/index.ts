import { consola, type ConsolaInstance } from "consola";
import { followSettings, restoreSettings } from "./settings.ts";
import type { ResolvedConfig } from "../config/resolve.ts";
import type { Machine } from "../credentials/local-sign-ins.ts";
import pkg from "../../package.json" with { type: "json" };
import { createApp } from "./app.ts";
import { createConnectionCap } from "./connection-cap.ts";
import { createRuntime, type Runtime } from "./runtime.ts";

export interface StartOptions {
  configFile?: string;
  log?: ConsolaInstance;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Whose sign-ins the console imports; default this process's home and environment (tests: a temp home). */
  machine?: Machine;
}

export interface RunningAgcp {
  url: string;
  port: number;
  runtime: Runtime;
  /** Stops accepting, lets in-flight requests finish (up to server.shutdownTimeoutMs), then closes. */
  close(): Promise<void>;
}

export async function startAgcp(config: ResolvedConfig, opts: StartOptions = {}): Promise<RunningAgcp> {
  const log = opts.log ?? consola.withTag("agcp");
  const runtime = await createRuntime(config, { version: pkg.version, log, ...(opts.fetch && { fetch: opts.fetch }), ...(opts.machine && { machine: opts.machine }) });
  // Settings changed in the console earlier (stored), where the configuration does not set them.
  await restoreSettings(runtime);
  followSettings(runtime);
  const app = createApp(runtime);
  const connectionCap = createConnectionCap(config.limits.maxConcurrentRequests, log);
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      port: config.port,
      hostname: config.host,
      // Long thinking streams can be quiet for a while between pings; Bun's default 10 s would cut them.
      idleTimeout: 255,
      // readJsonBody enforces config.bodyLimit while reading, so memory stays bounded. Bun's own cap
      // must not fire first: it answers a bare 413 with no body, which clients show as an unexplained error.
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      fetch: (req, srv) => (srv.pendingRequests > config.limits.maxConcurrentRequests ? connectionCap.refuse() : app.fetch(req)),
    });
  } catch (err) {
    await runtime.close();
    throw err;
  }
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${server.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    port: server.port!,
    runtime,
    close() {
      closing ??= (async () => {
        const drained = server.stop(false);
        const timedOut = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), config.server.shutdownTimeoutMs).unref());
        if ((await Promise.race([drained, timedOut])) === "timeout") {
          log.warn(`Shutdown: in-flight requests still running after ${config.server.shutdownTimeoutMs} ms; closing them.`);
          await server.stop(true);
        }
        await runtime.close();
      })();
      return closing;
    },
  };
}
