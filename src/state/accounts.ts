/**
 * Accounts added at run time (`agcp accounts add`, the console), refresh tokens included. One
 * document, written at once on every change (these are rare and must survive an immediate exit).
 */
import type { AccountQuotaFloors } from "../config/account-floors.ts";
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
  /** Gives an account another label; refused when the new one is taken. The account, otherwise unchanged, or undefined if there is none. */
  rename(from: string, to: string): Promise<StoredAccount | undefined>;
  /** Replaces the account's own floors (undefined: none, the global ones apply). The account, or undefined if there is none. */
  setFloors(label: string, floors: AccountQuotaFloors | undefined): Promise<StoredAccount | undefined>;
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

  /** Applies `change` to the stored account `label` and saves (unless it returns false); undefined when there is none. */
  function edit(label: string, change: (account: StoredAccount) => boolean | void): Promise<StoredAccount | undefined> {
    return serial(async () => {
      const accounts = await read();
      const account = accounts.find((a) => a.label === label);
      if (!account) return undefined;
      if (change(account) !== false) await write(accounts);
      return account;
    });
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
          // Signing in again changes the token, not what the user set for the account.
          ...(existing?.floors !== undefined && { floors: existing.floors }),
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

    async setEnabled(label, enabled) {
      const account = await edit(label, (a) => {
        if (a.enabled === enabled) return false;
        a.enabled = enabled;
      });
      return account !== undefined;
    },

    rename(from, to) {
      return serial(async () => {
        const label = to.trim();
        if (!label) throw new StateError("invalid", "An account needs a non-empty label.");
        const accounts = await read();
        const account = accounts.find((a) => a.label === from);
        if (!account) return undefined;
        if (label === from) return account;
        if (accounts.some((a) => a.label === label)) throw new StateError("conflict", `There is already an account "${label}"; choose another label.`);
        account.label = label;
        await write(accounts);
        return account;
      });
    },

    setFloors(label, floors) {
      return edit(label, (a) => {
        if (floors === undefined) delete a.floors;
        else a.floors = structuredClone(floors);
      });
    },
  };
}
