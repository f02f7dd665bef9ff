/**
 * @module
 * Storage port for API keys. Implemented by storage/redis and storage/sqlite; both pass
 * tests/storage/store-contract.ts.
 */
import type { ApiKey } from './model.ts'

/** Persistence of API keys and their hash index. */
export interface KeyRepository {
  /** Inserts or replaces a key and (re)points `hash` at it; a previous hash of the same id is removed. */
  put(key: ApiKey): Promise<void>
  /** The key with this id, or null. */
  get(id: string): Promise<ApiKey | null>
  /** The key whose hash is `hash`, or null. Soft-deleted keys are still returned (callers decide). */
  findByHash(hash: string): Promise<ApiKey | null>
  /** Every key, including soft-deleted ones, in creation order. */
  list(): Promise<ApiKey[]>
  /** Removes the key and its hash entry; true when it existed. */
  delete(id: string): Promise<boolean>
  /**
   * Stores when keys were last used (id → epoch ms), each only when later than the stored time,
   * without rewriting the rest of the record: an edit made meanwhile is never undone. Unknown ids
   * are ignored.
   */
  recordUse(uses: ReadonlyMap<string, number>): Promise<void>
}
