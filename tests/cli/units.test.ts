import { afterEach, describe, expect, test } from "bun:test";
import { resolveConfig } from "../../src/config/resolve.ts";
import { tryItText, withDemoUpstream } from "../../src/cli/demo.ts";
import { exitOnSignals } from "../../src/cli/signals.ts";
import { intFlag } from "../../src/cli/args.ts";
import { UsageError } from "../../src/cli/errors.ts";

const base = () =>
  resolveConfig({
    file: { accounts: [{ email: "real@x.test", refreshToken: "real" }], upstream: { oauth: { clientId: "cid" } } },
    baseDir: "/",
    env: {},
    homeDir: "/home/t",
  });

describe("demo mode", () => {
  test("redirects upstream, OAuth, accounts and storage to the simulator", () => {
    const config = withDemoUpstream(base(), "http://127.0.0.1:5555/", [
      { email: "d1@agcp.test", refreshToken: "r1" },
      { email: "d2@agcp.test", refreshToken: "r2" },
    ]);
    expect(config.upstream.hosts).toEqual(["http://127.0.0.1:5555"]);
    expect(config.upstream.oauth.tokenUrl).toBe("http://127.0.0.1:5555/token");
    expect(config.upstream.oauth.userinfoUrl).toBe("http://127.0.0.1:5555/oauth2/v1/userinfo");
    expect(config.upstream.oauth.authorizeUrl).toBe("http://127.0.0.1:5555/o/oauth2/v2/auth");
    expect(config.upstream.oauth.clientId).toBe("cid");
    expect(config.upstream.oauth.clientSecret).toBe("agcp-demo");
    expect(config.accounts.map((a) => [a.label, a.refreshToken, a.enabled])).toEqual([
      ["d1@agcp.test", "r1", true],
      ["d2@agcp.test", "r2", true],
    ]);
    expect(config.storage.driver).toBe("memory");
  });

  test("the try-it text never prints the api key", () => {
    const withKey = tryItText("http://127.0.0.1:8080", true);
    expect(withKey).toContain("curl -N http://127.0.0.1:8080/v1/messages");
    expect(withKey).toContain("$AGCP_API_KEY");
    expect(withKey).toContain("export ANTHROPIC_BASE_URL=http://127.0.0.1:8080");
    expect(tryItText("http://127.0.0.1:8080", false)).not.toContain("x-api-key");
  });
});

describe("intFlag", () => {
  test("parses bounded integers and rejects the rest as usage errors", () => {
    expect(intFlag("n", undefined, 1, 5)).toBeUndefined();
    expect(intFlag("n", "3", 1, 5)).toBe(3);
    for (const bad of ["0", "6", "2.5", "x", "", "-1"]) expect(() => intFlag("n", bad, 1, 5)).toThrow(UsageError);
  });
});

describe("exitOnSignals", () => {
  let dispose: (() => void) | undefined;
  afterEach(() => dispose?.());
  const SIGNAL = "SIGUSR2" as const;
  const fire = () => process.emit(SIGNAL, SIGNAL);

  test("first signal shuts down gracefully and exits 0", async () => {
    const exits: number[] = [];
    let closed = 0;
    const done = Promise.withResolvers<void>();
    dispose = exitOnSignals({
      signals: [SIGNAL],
      timeoutMs: 1_000,
      shutdown: async () => void closed++,
      exit: (code) => {
        exits.push(code);
        done.resolve();
      },
    });
    fire();
    await done.promise;
    expect(closed).toBe(1);
    expect(exits).toEqual([0]);
  });

  test("a second signal forces exit 1 while shutdown is still running", async () => {
    const exits: number[] = [];
    const never = new Promise<void>(() => {});
    dispose = exitOnSignals({ signals: [SIGNAL], timeoutMs: 60_000, shutdown: () => never, exit: (c) => exits.push(c) });
    fire();
    expect(exits).toEqual([]);
    fire();
    expect(exits).toEqual([1]);
  });

  test("a failing or overrunning shutdown exits 1", async () => {
    const exits: number[] = [];
    const done = Promise.withResolvers<void>();
    dispose = exitOnSignals({
      signals: [SIGNAL],
      timeoutMs: 1_000,
      shutdown: async () => {
        throw new Error("stuck");
      },
      exit: (c) => {
        exits.push(c);
        done.resolve();
      },
    });
    fire();
    await done.promise;
    expect(exits).toEqual([1]);

    dispose();
    const exits2: number[] = [];
    const done2 = Promise.withResolvers<void>();
    dispose = exitOnSignals({
      signals: [SIGNAL],
      timeoutMs: 20,
      shutdown: () => new Promise<void>(() => {}),
      exit: (c) => {
        exits2.push(c);
        done2.resolve();
      },
    });
    fire();
    await done2.promise;
    expect(exits2).toEqual([1]);
  });
});
