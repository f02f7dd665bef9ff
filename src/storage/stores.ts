/**
 * @module
 * The set of repositories the features use, whichever backend implements them.
 */
import type { AccountRepository } from '../accounts/repository.ts'
import type { CoordRepository } from '../coord/repository.ts'
import { faultText } from '../core/faults.ts'
import type { HistoryRepository } from '../history/repository.ts'
import type { KeyRepository } from '../keys/repository.ts'
import type { LimitsRepository } from '../limits/repository.ts'
import type { SettingsRepository } from '../settings/repository.ts'
import type { UsageRepository } from '../usage/repository.ts'

/** Every repository, plus health and shutdown of the backend. */
export interface Stores {
  kind: 'redis' | 'sqlite'
  keys: KeyRepository
  accounts: AccountRepository
  usage: UsageRepository
  limits: LimitsRepository
  history: HistoryRepository
  settings: SettingsRepository
  coord: CoordRepository
  /** Round-trip time of a trivial command in ms; throws when the backend is down. */
  ping(): Promise<number>
  /**
   * Deletes expired rows (leases, windows, temp values, sticky mappings, counters past their
   * expiry). Redis expires keys by itself and returns 0; SQLite needs this from the cleanup job.
   */
  sweepExpired(now: number): Promise<number>
  /** Closes connections; pending commands finish first. */
  close(): Promise<void>
}

/** `stores.ping()`, failing after `ms` when the backend does not answer. */
export async function pingWithin(stores: Pick<Stores, 'ping'>, ms: number): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([
      stores.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}

/** The detail of a failed storage check, for logs and notifications. */
export function storageDownText(kind: Stores['kind'], err: unknown): string {
  return `${kind === 'redis' ? 'Redis' : 'SQLite'} storage is unreachable: ${faultText(err)}`
}
