/**
 * agcp's own account export: labels, e-mails, projects and switches, and the refresh tokens only
 * when asked for explicitly (`agcp accounts export --include-tokens`). The same file imports back.
 */
import { CredentialError, type FoundCredential } from "./types.ts";

export const EXPORT_FORMAT = "agcp-accounts";
export const EXPORT_VERSION = 1;

export interface ExportedAccount {
  label: string;
  email?: string;
  projectId?: string;
  enabled: boolean;
  /** Where agcp had it: the config file or its state store. */
  source: "config" | "stored";
  refreshToken?: string;
}

export interface ExportDocument {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  exportedAt: string;
  includesTokens: boolean;
  accounts: ExportedAccount[];
}

export interface ExportInput {
  label: string;
  email?: string;
  projectId?: string;
  enabled: boolean;
  source: "config" | "stored";
  refreshToken: string;
}

export function buildExport(accounts: readonly ExportInput[], includeTokens: boolean, now: number): ExportDocument {
  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: new Date(now).toISOString(),
    includesTokens: includeTokens,
    accounts: accounts.map((a) => ({
      label: a.label,
      ...(a.email !== undefined && { email: a.email }),
      ...(a.projectId !== undefined && { projectId: a.projectId }),
      enabled: a.enabled,
      source: a.source,
      ...(includeTokens && a.refreshToken && { refreshToken: a.refreshToken }),
    })),
  };
}

export function readExportDocument(doc: Record<string, unknown>, origin: string): FoundCredential[] {
  if (doc.version !== EXPORT_VERSION) {
    throw new CredentialError(`${origin}: export version ${String(doc.version)} is not one this agcp reads (${EXPORT_VERSION}).`);
  }
  const accounts = Array.isArray(doc.accounts) ? doc.accounts : [];
  const out: FoundCredential[] = [];
  for (const raw of accounts) {
    if (typeof raw !== "object" || raw === null) continue;
    const a = raw as Record<string, unknown>;
    if (typeof a.refreshToken !== "string" || !a.refreshToken) continue;
    out.push({
      refreshToken: a.refreshToken,
      origin,
      ...(typeof a.label === "string" && a.label && { label: a.label }),
      ...(typeof a.email === "string" && a.email && { email: a.email }),
      ...(typeof a.projectId === "string" && a.projectId && { projectId: a.projectId }),
      ...(typeof a.enabled === "boolean" && { enabled: a.enabled }),
    });
  }
  if (out.length === 0) {
    throw new CredentialError(
      accounts.length > 0
        ? `${origin} lists ${accounts.length} account(s) but no refresh tokens: export again with \`agcp accounts export --include-tokens\`.`
        : `${origin} lists no accounts.`,
    );
  }
  return out;
}
