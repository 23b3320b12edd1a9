import { defineCommand } from "citty";
import { consola } from "consola";
import { globalArgs, intFlag, stringFlag } from "../args.ts";
import { withExamples } from "../help.ts";
import { plain } from "../output.ts";
import { exitOnSignals } from "../signals.ts";

export default withExamples(
  defineCommand({
    meta: { name: "sim", description: "Run the fake Google upstream (simulator) on its own, for testing" },
    args: {
      port: { type: "string", description: "Port (default 0 = any free port)", valueHint: "port" },
      host: { type: "string", description: "Address to bind (default 127.0.0.1)", valueHint: "host" },
      accounts: { type: "string", description: "Number of fake accounts (default 3)", valueHint: "n" },
      "chunk-delay": { type: "string", description: "Pause between streamed chunks in ms (default 0)", valueHint: "ms" },
      ...globalArgs,
    },
    async run({ args }) {
      const port = intFlag("port", args.port, 0, 65535) ?? 0;
      const hostname = stringFlag("host", args.host) ?? "127.0.0.1";
      const count = intFlag("accounts", args.accounts, 1, 1000) ?? 3;
      const chunkDelayMs = intFlag("chunk-delay", args["chunk-delay"], 0, 60_000) ?? 0;

      const { createSimulator, demoAccounts } = await import("../../sim/index.ts");
      const accounts = demoAccounts(count);
      const sim = createSimulator({ accounts, chunkDelayMs });
      const { url } = await sim.listen({ port, hostname });

      consola.success(`Simulator listening on ${url}`);
      // These tokens are fake and only valid against this simulator, so showing them is fine.
      plain.log(
        [
          "",
          "Accounts (email / refresh token):",
          ...accounts.map((a) => `  ${a.email}  ${a.refreshToken}`),
          "",
          "Point agcp at it:",
          `  upstream: { hosts: ["${url}"], oauth: { tokenUrl: "${url}/token", userinfoUrl: "${url}/oauth2/v1/userinfo", authorizeUrl: "${url}/o/oauth2/v2/auth" } }`,
          "  (or simply: agcp start --demo, which runs its own simulator)",
          "",
          "Control API (JSON; inspect state, provoke upstream conditions):",
          `  curl ${url}/__sim/accounts                      # accounts, quotas, counters`,
          `  curl ${url}/__sim/stats                         # totals: requests, 429s, errors`,
          `  curl -X PATCH ${url}/__sim/accounts/${accounts[0]?.email ?? "EMAIL"} \\`,
          `       -H 'content-type: application/json' -d '{"quota": 0}'   # exhaust its quota`,
          `  curl -X PATCH ${url}/__sim/faults -d '{"capacity": "503", "failNext": 2}'`,
          `  curl -X PATCH ${url}/__sim/version-gate -d '{"cli": {"minimum": "1.5.0"}}'   # refuse agcp's client version`,
          `  curl -X POST ${url}/__sim/reset -d '{"quotas": true, "faults": true}'`,
          "",
        ].join("\n"),
      );

      exitOnSignals({ timeoutMs: 5_000, shutdown: async () => void (await sim.close()) });
      await new Promise<never>(() => {});
    },
  }),
  ["agcp sim", "agcp sim --port 9100 --accounts 5", "agcp sim --chunk-delay 50   # slow streaming, to watch it"],
);
