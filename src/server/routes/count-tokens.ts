import type { H3Event } from "h3";
import { countTokens } from "../../anthropic/count-tokens.ts";
import { parseCountTokensRequest } from "../../anthropic/schema.ts";
import { readJsonBody } from "../body.ts";
import type { Runtime } from "../runtime.ts";

/** POST /v1/messages/count_tokens: a local estimate, so Claude Code can decide when to compact. */
export function countTokensHandler(rt: Runtime) {
  return async (event: H3Event) => {
    const req = parseCountTokensRequest(await readJsonBody(event, rt.config.bodyLimit));
    // Same bounded wait as /v1/messages: the model list must be upstream's before names are judged.
    await rt.quota.whenReady();
    rt.catalog.resolve(req.model);
    return { input_tokens: countTokens(req) };
  };
}
