/**
 * The system's tinyproxy (Debian `tinyproxy`) on a free loopback port, with basic auth, logging
 * every request it forwards, so a test can count what passed through a real proxy process.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:net";
import { freePort } from "./loopback.ts";

export interface Tinyproxy {
  /** Proxy URL with the credentials, as a user would configure it. */
  url: string;
  port: number;
  /** "METHOD url" of every request forwarded so far (authorised or not). */
  requests(): string[];
  stop(): Promise<void>;
}

async function listening(port: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.end();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return true;
    await Bun.sleep(25);
  }
  return false;
}

/** Undefined when tinyproxy is not installed (the caller decides whether that may skip). */
export async function startTinyproxy(user: string, password: string): Promise<Tinyproxy | undefined> {
  const bin = Bun.which("tinyproxy") ?? (Bun.file("/usr/bin/tinyproxy").size > 0 ? "/usr/bin/tinyproxy" : undefined);
  if (!bin) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "agcp-tinyproxy-"));
  const port = await freePort();
  const log = join(dir, "log");
  writeFileSync(
    join(dir, "conf"),
    [`Port ${port}`, "Listen 127.0.0.1", "Timeout 60", `LogFile "${log}"`, "LogLevel Connect", "MaxClients 100", "Allow 127.0.0.1",
      `BasicAuth ${user} ${password}`, "DisableViaHeader Yes", ""].join("\n"),
  );
  const proc = Bun.spawn([bin, "-d", "-c", join(dir, "conf")], { stdout: "ignore", stderr: "ignore" });
  if (!(await listening(port, 5_000))) {
    proc.kill("SIGKILL");
    throw new Error("tinyproxy did not start listening within 5 s");
  }
  return {
    url: `http://${user}:${password}@127.0.0.1:${port}`,
    port,
    requests() {
      let text = "";
      try {
        text = readFileSync(log, "utf8");
      } catch {}
      return [...text.matchAll(/Request \(file descriptor \d+\): (\S+ \S+)/g)].map((m) => m[1]!);
    },
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
