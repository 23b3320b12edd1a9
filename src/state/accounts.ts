/**
 * Accounts added at run time (`agcp accounts add`, the console), refresh tokens included. One
 * document, written at once on every change (these are rare and must survive an immediate exit).
 */
import { createSerial } from "./serial.ts";
import type { StoreContext } from "./context.ts";
import { ACCOUNTS_KEY } from "./keys.ts";
import { StateError, type NewStoredAccount, type StoredAccount } from "./types.ts";

export interface AccountStore {
  list(): Promise<StoredAccount[]>;
  get(label: string): Promise<StoredAccount | undefined>;
  /** Adds, or replaces the account with the same label (a re-login keeps its `addedAt`). */
  add(input: NewStoredAccount): Promise<{ account: StoredAccount; replaced: boolean }>;
  remove(label: string): Promise<boolean>;
  setEnabled(label: string, enabled: boolean): Promise<boolean>;
}

function nonEmpty(v: unknown): v is string {
  return typeof v === "string" && v.trim().length > 0;
}

export function createAccountStore(ctx: StoreContext): AccountStore {
  // Changes in this process are applied one after another so none is lost.
  const serial = createSerial();

  async function read(): Promise<StoredAccount[]> {
    const doc = await ctx.read("accounts", ACCOUNTS_KEY);
    if (!doc) return [];
    const seen = new Set<string>();
    return doc.accounts.filter((a) => !seen.has(a.label) && seen.add(a.label));
  }

  async function write(accounts: StoredAccount[]): Promise<void> {
    await ctx.write("accounts", ACCOUNTS_KEY, { accounts });
    await ctx.announce({ t: "accounts" });
  }

  return {
    list: () => serial(read),
    get: (label) => serial(async () => (await read()).find((a) => a.label === label)),

    add(input) {
      return serial(async () => {
        if (!nonEmpty(input.refreshToken)) throw new StateError("invalid", "An account needs a refresh token.");
        const label = (input.label ?? input.email ?? "").trim();
        if (!label) throw new StateError("invalid", "An account needs a label or an e-mail address.");
        const accounts = await read();
        const index = accounts.findIndex((a) => a.label === label);
        const existing = accounts[index];
        const account: StoredAccount = {
          label,
          ...(nonEmpty(input.email) && { email: input.email.trim() }),
          refreshToken: input.refreshToken.trim(),
          ...(nonEmpty(input.projectId) && { projectId: input.projectId.trim() }),
          ...(nonEmpty(input.proxy) ? { proxy: input.proxy.trim() } : existing?.proxy !== undefined && { proxy: existing.proxy }),
          enabled: input.enabled ?? existing?.enabled ?? true,
          addedAt: existing?.addedAt ?? ctx.now(),
        };
        if (existing) accounts[index] = account;
        else accounts.push(account);
        await write(accounts);
        return { account, replaced: existing !== undefined };
      });
    },

    remove(label) {
      return serial(async () => {
        const accounts = await read();
        const kept = accounts.filter((a) => a.label !== label);
        if (kept.length === accounts.length) return false;
        await write(kept);
        return true;
      });
    },

    setEnabled(label, enabled) {
      return serial(async () => {
        const accounts = await read();
        const account = accounts.find((a) => a.label === label);
        if (!account) return false;
        if (account.enabled !== enabled) {
          account.enabled = enabled;
          await write(accounts);
        }
        return true;
      });
    },
  };
}
