export { createSimulator, type Simulator } from "./server.ts";
export { demoAccounts } from "./demo.ts";
export { DEFAULT_SIM_MODELS, modelFamily } from "./models.ts";
export { CLAUDE_55_IDS, LATE_2026_CATALOG, LATE_2026_MODELS } from "./lineup.ts";
export { CONSUMER_PROJECT } from "./code-assist.ts";
export { DEFAULT_VERSION_GATES, NO_LONGER_SUPPORTED, parseClientIdentity } from "./version-gate.ts";
export { SimState, SimAccount } from "./state.ts";
export { signThought, verifyThought, SKIP_SIGNATURE_SENTINEL } from "./signature.ts";
export { formatGoDuration, formatSeconds } from "./rpc-error.ts";
export type {
  ModelFamily,
  SimAccountInit,
  SimAccountView,
  SimCatalogInfo,
  SimCounters,
  SimFault,
  SimModel,
  SimOptions,
  SimStats,
  SimTotals,
  SimTier,
  SimVersionGate,
  SimVersionGates,
} from "./types.ts";
export { simCountTokens } from "./count-tokens.ts";
export { AGENT_SDK_IDENTITY_SENTENCE } from "./agent-identity.ts";
