/**
 * Importing the sign-ins of the machine agcp runs on, from the console: what `agcp accounts
 * import` reads (agy's token file, the system keyring, Gemini CLI, the old desktop app's
 * state.vscdb), listed without secrets, and imported one place at a time. Each token is refreshed
 * once before it joins the pool, as the CLI does.
 */
import type { H3Event } from "h3";
import { z } from "zod";
import { invalidRequest } from "../../anthropic/errors.ts";
import { findCredentials, listLocalSignIns, LOCAL_SOURCES, sourceOptions } from "../../credentials/local-sign-ins.ts";
import { CredentialError, type FoundCredential } from "../../credentials/types.ts";
import { verifyFound } from "../../credentials/verify.ts";
import { parseBody, readJsonBody } from "../body.ts";
import type { Runtime } from "../runtime.ts";

const SOURCES = ["auto", ...LOCAL_SOURCES] as const;
const importBody = z
  .object({
    source: z.enum(SOURCES, { error: `one of ${SOURCES.map((s) => `"${s}"`).join(", ")}` }),
    label: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

export interface LocalImportOutcome {
  origin: string;
  label?: string;
  email?: string;
  ok: boolean;
  note: string;
}

/** Which account of the pool already holds this refresh token (compared here; it never leaves). */
function ownerOf(rt: Runtime): (refreshToken: string) => string | undefined {
  return (token) => [...rt.credentials.values()].find((c) => c.refreshToken === token)?.id;
}

/** GET /api/accounts/import-sources: every place, and the e-mails found there. */
export function listImportSourcesHandler(rt: Runtime) {
  return async () => ({ sources: await listLocalSignIns(rt.machine, ownerOf(rt)) });
}

/** POST /api/accounts/import-local {source, label?}: verifies and adds what that place holds. */
export function importLocalHandler(rt: Runtime) {
  return async (event: H3Event): Promise<{ outcomes: LocalImportOutcome[] }> => {
    const { source, label } = parseBody(importBody, await readJsonBody(event, 16 * 1024));
    let found: FoundCredential[];
    try {
      found = await findCredentials(source, sourceOptions(rt.machine));
    } catch (err) {
      if (err instanceof CredentialError) throw invalidRequest(`source: ${err.message}`);
      throw err;
    }
    if (label !== undefined && found.length > 1) {
      throw invalidRequest(`label: names one account, but ${found.length} sign-ins were found; import them without a label.`);
    }
    const configured = new Set(rt.config.accounts.map((a) => a.label));
    const outcomes: LocalImportOutcome[] = [];
    for (const v of await verifyFound(rt.upstream, found, { configuredClient: rt.config.upstream.oauth.clientId })) {
      const { origin } = v.found;
      if (!v.ok) {
        outcomes.push({ origin, ...(v.email && { email: v.email }), ok: false, note: v.note });
        continue;
      }
      const name = label ?? v.found.label ?? v.email;
      if (configured.has(name)) {
        outcomes.push({
          origin,
          email: v.email,
          ok: false,
          note: `"${name}" is an account of agcp.config.ts; to give it this sign-in, run \`agcp accounts import ${source} --label ${name}\` on the server`,
        });
        continue;
      }
      const existed = (await rt.state.store.accounts.get(name)) !== undefined;
      const account = await rt.state.accounts.add({
        label: name,
        email: v.email,
        refreshToken: v.found.refreshToken,
        ...(v.found.projectId !== undefined && { projectId: v.found.projectId }),
        ...(v.found.enabled !== undefined && { enabled: v.found.enabled }),
      });
      outcomes.push({ origin, label: account.label, email: v.email, ok: true, note: existed ? "signed in again" : "added" });
    }
    const imported = outcomes.filter((o) => o.ok);
    if (imported.length === 0) {
      throw invalidRequest(`Nothing was imported: ${outcomes.map((o) => `${o.email ?? "a sign-in"} from ${o.origin}: ${o.note}`).join("; ")}`);
    }
    rt.log.info(`Imported ${imported.map((o) => o.label).join(", ")} from this machine's sign-ins (${source}, console).`);
    return { outcomes };
  };
}
