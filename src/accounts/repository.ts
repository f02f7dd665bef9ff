/**
 * @module
 * Storage port for upstream accounts, their health state and groups.
 */
import type { Account, AccountGroup, AccountState } from './model.ts'

/** Persistence of accounts, account health and account groups. */
export interface AccountRepository {
  /** Inserts or replaces an account (config only; state is untouched). */
  put(account: Account): Promise<void>
  get(id: string): Promise<Account | null>
  /** Every account, in creation order. */
  list(): Promise<Account[]>
  /** Removes the account and its state; true when it existed. */
  delete(id: string): Promise<boolean>

  /** The health state; {@link initialAccountState} when none was stored. */
  getState(id: string): Promise<AccountState>
  /** States of many accounts in one round trip (missing ones are initial). */
  getStates(ids: string[]): Promise<Map<string, AccountState>>
  /** Merges `patch` into the stored state atomically (other fields keep their value); returns the result. */
  patchState(id: string, patch: Partial<AccountState>): Promise<AccountState>

  putGroup(group: AccountGroup): Promise<void>
  getGroup(id: string): Promise<AccountGroup | null>
  listGroups(): Promise<AccountGroup[]>
  deleteGroup(id: string): Promise<boolean>
}
