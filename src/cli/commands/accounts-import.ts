/**
 * `agcp accounts import` and `agcp accounts export`: take over Google sign-ins that agy, the
 * Antigravity desktop app or Gemini CLI already made, or move accounts between agcp installs.
 * Every imported token is refreshed once before it is stored, which proves it works and finds
 * the account's e-mail when the saved file does not carry it.
 */
import { chmodSync, writeFileSync } from "node:fs";
import { defineCommand, type ArgsDef } from "citty";
import { consola } from "consola";
import { buildExport } from "../../credentials/export.ts";
import { findCredentials, SourceChoiceError, sourceOptions, thisMachine } from "../../credentials/local-sign-ins.ts";
import { IMPORT_SOURCES, type ImportSource } from "../../credentials/sources.ts";
import { CredentialError, type FoundCredential } from "../../credentials/types.ts";
import { verifyFound } from "../../credentials/verify.ts";
import { createUpstreamClient, type UpstreamClient } from "../../upstream/index.ts";
import { proxyUrlProblem, redactProxyUrl } from "../../upstream/proxy.ts";
import { globalArgs, stringFlag } from "../args.ts";
import { RuntimeFailure, UsageError } from "../errors.ts";
import { withExamples } from "../help.ts";
import { plain } from "../output.ts";
import { knownAccounts, saveSignedIn, type AccountsContext } from "./accounts-actions.ts";
import { pickupNote } from "./accounts-store.ts";

export interface ImportOutcome {
  origin: string;
  label?: string;
  email?: string;
  ok: boolean;
  note: string;
}

export interface ImportOptions {
  label?: string;
  /** Outbound proxy for the imported accounts (their check here goes through it too). */
  proxy?: string;
  upstream?: UpstreamClient;
}

/** Verifies and stores each found sign-in; one bad token does not stop the others. */
export async function importFound(ctx: AccountsContext, found: readonly FoundCredential[], opts: ImportOptions = {}): Promise<ImportOutcome[]> {
  if (opts.label !== undefined && found.length > 1) {
    throw new UsageError(`--label names one account, but ${found.length} sign-ins were found; import them without --label.`);
  }
  const upstream =
    opts.upstream ??
    createUpstreamClient({ ...ctx.config.upstream, ...(ctx.fetch && { fetch: ctx.fetch }), ...(ctx.now && { now: ctx.now }) });
  const outcomes: ImportOutcome[] = [];
  const verified = await verifyFound(upstream, found, { configuredClient: ctx.config.upstream.oauth.clientId, ...(opts.proxy !== undefined && { proxy: opts.proxy }) });
  for (const v of verified) {
    const f = v.found;
    if (!v.ok) {
      outcomes.push({ origin: f.origin, ...(v.email && { email: v.email }), ok: false, note: v.note });
      continue;
    }
    const email = v.email;
    const label = opts.label ?? f.label ?? email;
    const { account, replaced, takesOver } = await saveSignedIn(
      ctx,
      {
        email,
        refreshToken: f.refreshToken,
        ...(f.projectId !== undefined && { projectId: f.projectId }),
        ...(f.enabled !== undefined && { enabled: f.enabled }),
        ...(opts.proxy !== undefined && { proxy: opts.proxy }),
      },
      label,
    );
    const note = takesOver
      ? `signed in again: this token now replaces the config file's for "${account.label}" (\`agcp accounts remove ${account.label}\` goes back to the file's)`
      : replaced ? "updated" : "added";
    outcomes.push({ origin: f.origin, label: account.label, email, ok: true, note });
  }
  return outcomes;
}

/** `--proxy`: checked like accounts[].proxy in the config. */
export function proxyFlag(value: unknown): string | undefined {
  const proxy = stringFlag("proxy", value);
  const problem = proxy !== undefined ? proxyUrlProblem(proxy) : undefined;
  if (problem) throw new UsageError(`--proxy: expected ${problem}, found ${JSON.stringify(redactProxyUrl(proxy!))}`);
  return proxy;
}


const contextArgs = {
  config: { type: "string", description: "Config file (env AGCP_CONFIG; default ./agcp.config.*)", valueHint: "file" },
} as const satisfies ArgsDef;

type WithContext = <T>(args: { config?: unknown }, fn: (ctx: AccountsContext) => Promise<T>, lenient?: boolean) => Promise<T>;

export function importCommand(withContext: WithContext) {
  return withExamples(
    defineCommand({
      meta: { name: "import", description: "Import Google sign-ins from agy, the Antigravity app, Gemini CLI or an agcp export" },
      args: {
        source: {
          type: "positional",
          required: false,
          description: `Where from: ${IMPORT_SOURCES.join(" | ")} (default auto: every place on this machine)`,
        },
        file: { type: "string", description: "Read this file instead of the source's usual place (required for `file`)", valueHint: "path" },
        label: { type: "string", description: "Name for the account (default: its e-mail); a config account's label signs that account in again", valueHint: "name" },
        proxy: { type: "string", description: 'Outbound HTTP(S) proxy for these accounts ("direct": none; default: upstream.proxy)', valueHint: "url" },
        ...contextArgs,
        ...globalArgs,
      },
      async run({ args }) {
        const source = (args.source ?? "auto") as string;
        if (!(IMPORT_SOURCES as readonly string[]).includes(source)) {
          throw new UsageError(`Unknown import source ${JSON.stringify(source)}; expected one of ${IMPORT_SOURCES.join(", ")}.`);
        }
        const file = stringFlag("file", args.file);
        const label = stringFlag("label", args.label);
        const proxy = proxyFlag(args.proxy);
        let found: FoundCredential[];
        try {
          found = await findCredentials(source as ImportSource, sourceOptions(thisMachine(), file));
        } catch (error) {
          if (error instanceof SourceChoiceError) throw new UsageError(error.message);
          if (error instanceof CredentialError) throw new RuntimeFailure(error.message);
          throw error;
        }
        const { outcomes, driver } = await withContext(
          args,
          async (ctx) => ({
            outcomes: await importFound(ctx, found, { ...(label !== undefined && { label }), ...(proxy !== undefined && { proxy }) }),
            driver: ctx.config.storage.driver,
          }),
          true,
        );
        for (const o of outcomes) {
          if (o.ok) consola.success(`${o.label}: ${o.note} (from ${o.origin}).`);
          else consola.error(`${o.email ?? "An account"} from ${o.origin} was not imported: ${o.note}`);
        }
        if (outcomes.some((o) => o.ok)) consola.info(`${pickupNote(driver)} Check it with \`agcp accounts verify\`.`);
        if (outcomes.some((o) => !o.ok)) process.exitCode = 1;
      },
    }),
    [
      "agcp accounts import                      # every sign-in found on this machine",
      "agcp accounts import agy                  # ~/.gemini/antigravity-cli/antigravity-oauth-token",
      "agcp accounts import keyring              # desktop app ≥ 2.0 / agy: Secret Service or macOS keychain",
      "agcp accounts import vscdb --file ./state.vscdb",
      "agcp accounts import file --file accounts.json   # from `agcp accounts export --include-tokens`",
      "agcp accounts import agy --label work     # re-sign the config account labelled work",
    ],
  );
}

export function exportCommand(withContext: WithContext) {
  return withExamples(
    defineCommand({
      meta: { name: "export", description: "Write the accounts as JSON (refresh tokens only with --include-tokens)" },
      args: {
        "include-tokens": { type: "boolean", description: "Include refresh tokens (then the file is a secret: it grants use of the accounts)" },
        out: { type: "string", description: "Write to this file (mode 0600) instead of stdout", valueHint: "path" },
        ...contextArgs,
        ...globalArgs,
      },
      async run({ args }) {
        const out = stringFlag("out", args.out);
        const includeTokens = Boolean(args["include-tokens"]);
        const accounts = await withContext(args, knownAccounts, true);
        const doc = buildExport(
          accounts.map((a) => ({
            label: a.label,
            ...(a.email !== undefined && { email: a.email }),
            ...(a.projectId !== undefined && { projectId: a.projectId }),
            enabled: a.enabled,
            source: a.source,
            refreshToken: a.refreshToken,
          })),
          includeTokens,
          Date.now(),
        );
        const text = `${JSON.stringify(doc, null, 2)}\n`;
        if (out === undefined) {
          plain.log(text.trimEnd());
        } else {
          writeFileSync(out, text, { mode: 0o600 });
          chmodSync(out, 0o600);
          consola.success(`Wrote ${doc.accounts.length} account(s) to ${out}${includeTokens ? " with their refresh tokens: keep it private" : ""}.`);
        }
        if (includeTokens) consola.warn("This export holds refresh tokens: anyone with it can use these accounts. Import it with `agcp accounts import file --file <path>`.");
      },
    }),
    ["agcp accounts export", "agcp accounts export --include-tokens --out accounts.json"],
  );
}
