// Example configuration for this repository (`npm start` reads it). No real accounts here:
// add yours with refreshTokenEnv, or run `npm run demo` to use the simulator instead.
import type { AgcpConfig } from "./src/config/types.ts";

export default {
  port: 8080,
  host: "127.0.0.1",
  strategy: "reset-aware",
  logLevel: "info",

  accounts: [
    // { email: "you@gmail.com", refreshTokenEnv: "AGCP_TOKEN_1" },
  ],

  quota: { floor: 0.05 },

  // Development keeps its state inside the checkout (.agcp-state/ is git-ignored).
  storage: { driver: "fs", dir: ".agcp-state" },

  models: {
    fallback: { "claude-opus-4-6-thinking": "claude-sonnet-4-6" },
  },
} satisfies AgcpConfig;
