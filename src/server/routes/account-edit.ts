/**
 * PATCH /api/accounts/:id — rename an account added at run time, and set its own quota floors.
 * Floors are checked with the config file's own rules for `accounts[].quota`; accounts of
 * agcp.config.ts are the file's, and the refusal says what to change there.
 */
import { getRouterParam, type H3Event } from "h3";
import { z } from "zod";
import { ApiError } from "../../anthropic/errors.ts";
import { quotaFloorsSchema } from "../../config/schema.ts";
import type { ManagedAccount } from "../../state/index.ts";
import { parseBody, readJsonBody } from "../body.ts";
import type { Runtime } from "../runtime.ts";

const LABEL_EXPECTED = "expected 1 to 200 printable ASCII characters, not starting or ending with a space (it travels in the x-agcp-account header)";

const editBody = z
  .object({
    label: z
      .string({ error: LABEL_EXPECTED })
      .max(200, { error: LABEL_EXPECTED })
      .regex(/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/, { error: LABEL_EXPECTED })
      .optional(),
    // null (or {}) drops the account's own floors: the global ones apply again.
    floors: quotaFloorsSchema.nullable().optional(),
  })
  .strict()
  .refine((b) => b.label !== undefined || b.floors !== undefined, { error: 'expected "label", "floors" or both' });

const notFound = (id: string) => new ApiError("not_found_error", `account: ${JSON.stringify(id)} not found`);

export function editAccountHandler(rt: Runtime) {
  return async (event: H3Event): Promise<{ account: ManagedAccount }> => {
    const id = getRouterParam(event, "id", { decode: true }) ?? "";
    const edit = parseBody(editBody, await readJsonBody(event, 16 * 1024));
    let account: ManagedAccount | undefined;
    let label = id;
    // The rename first: if the new label is taken, nothing has changed yet.
    if (edit.label !== undefined && edit.label !== id) {
      account = await rt.state.accounts.rename(id, edit.label);
      if (!account) throw notFound(id);
      label = account.label;
      rt.log.info(`Account ${id} renamed to ${label} (console).`);
    }
    if (edit.floors !== undefined) {
      account = await rt.state.accounts.setFloors(label, edit.floors ?? undefined);
      if (!account) throw notFound(id);
      rt.log.info(`Account ${label}: ${account.floors ? "its own quota floors set" : "back to the global quota floors"} (console).`);
    }
    account ??= (await rt.state.accounts.list()).find((a) => a.label === id);
    if (!account) throw notFound(id);
    return { account };
  };
}
