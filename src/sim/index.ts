export { createSimulator, type Simulator } from "./server.ts";
export { demoAccounts } from "./demo.ts";
export { DEFAULT_SIM_MODELS, modelFamily } from "./models.ts";
export { SimState, SimAccount } from "./state.ts";
export { signThought, verifyThought, SKIP_SIGNATURE_SENTINEL } from "./signature.ts";
export { formatGoDuration, formatSeconds } from "./rpc-error.ts";
export type {
  ModelFamily,
  SimAccountInit,
  SimAccountView,
  SimCounters,
  SimFault,
  SimModel,
  SimOptions,
  SimStats,
  SimTotals,
  SimTier,
} from "./types.ts";
export { simCountTokens } from "./count-tokens.ts";
export { AGENT_SDK_IDENTITY_SENTENCE } from "./agent-identity.ts";
