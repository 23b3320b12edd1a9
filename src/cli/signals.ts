/**
 * Graceful shutdown on SIGINT/SIGTERM: the first signal runs `shutdown` and exits 0 (1 if it
 * fails or overruns `timeoutMs`); a second signal means "stop now" and exits 1 at once.
 */
import { consola } from "consola";
import { EXIT_OK, EXIT_RUNTIME } from "./errors.ts";

export interface ShutdownOptions {
  shutdown: () => Promise<void>;
  /** Hard limit for `shutdown`, so a stuck connection cannot keep the process alive. */
  timeoutMs: number;
  /** Injected by tests; default process.exit. */
  exit?: (code: number) => void;
  signals?: readonly NodeJS.Signals[];
}

/** Resolves never: the process ends through `exit`. Returns a disposer for tests. */
export function exitOnSignals(options: ShutdownOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? (["SIGINT", "SIGTERM"] as const);
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      consola.warn(`${signal} again: exiting without waiting.`);
      exit(EXIT_RUNTIME);
      return;
    }
    stopping = true;
    consola.info(`${signal} received, shutting down (again to force)…`);
    const timer = setTimeout(() => {
      consola.error(`Shutdown took longer than ${options.timeoutMs} ms; exiting.`);
      exit(EXIT_RUNTIME);
    }, options.timeoutMs);
    timer.unref?.();
    options.shutdown().then(
      () => {
        clearTimeout(timer);
        exit(EXIT_OK);
      },
      (error: unknown) => {
        clearTimeout(timer);
        consola.error("Shutdown failed:", error);
        exit(EXIT_RUNTIME);
      },
    );
  };
  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.off(s, onSignal);
  };
}
