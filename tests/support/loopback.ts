/** Small helpers for real servers on loopback, shared by tests and the bench scripts. */
import { connect, createServer } from "node:net";

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  url: string;
  port: number;
  /** SIGKILL, like a crash. */
  kill(): Promise<void>;
  /** Starts again on the same port (empty: no persistence). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the system's `redis-server` on a free loopback port, without persistence, and waits
 * until it answers PING. Undefined when it is not installed; whether that is acceptable is the
 * caller's policy (tests fail in CI, the bench leaves the row out).
 */
export async function startRedisServer(readyWithinMs = 5_000): Promise<RedisServer | undefined> {
  const bin = Bun.which("redis-server");
  if (!bin) return undefined;
  const port = await freePort();
  let proc: ReturnType<typeof Bun.spawn> | undefined;
  const kill = async () => {
    if (!proc) return;
    proc.kill("SIGKILL");
    await proc.exited;
    proc = undefined;
  };
  const start = async () => {
    proc = Bun.spawn([bin, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdout: "ignore",
      stderr: "ignore",
    });
    const deadline = Date.now() + readyWithinMs;
    while (!(await pingable(port))) {
      if (Date.now() > deadline) {
        await kill();
        throw new Error(`redis-server on port ${port} did not answer within ${readyWithinMs} ms`);
      }
      await Bun.sleep(20);
    }
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, kill, restart: start, stop: kill };
}

async function pingable(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" }, () => socket.write("PING\r\n"));
    socket.setTimeout(500, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("data", (d) => {
      socket.destroy();
      resolve(d.toString().startsWith("+PONG"));
    });
    socket.once("error", () => resolve(false));
  });
}

/** Small deterministic PRNG: the same seed gives the same run every time (the strategy simulator's own). */
export { seeded as mulberry32 } from "../../src/simulate/random.ts";
