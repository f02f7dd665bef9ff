/**
 * @module
 * Storage port for usage counters.
 */
import type {
  CounterField,
  CounterIncrement,
  CounterRef,
  CounterRow,
  CounterScope,
  Counters,
} from './model.ts'

/** A stored counter with its expiry (epoch ms, null = never), as `exportAll` yields it. */
export interface StoredCounter extends CounterRef {
  counters: Counters
  expiresAt: number | null
}

/** Persistence of additive usage counters. */
export interface UsageRepository {
  /**
   * Applies many increments at once (one transaction). Increments to the same counter add up.
   * Each counter's expiry is set to its increment's `expiresAt`. With a `batchId`, a batch that
   * was already applied under that id (within the last hour) is not applied again: a write whose
   * reply was lost (storage crashed after applying it) can be retried without counting twice.
   * Adapters whose writes cannot end in an unknown state (SQLite, in process) may ignore it.
   */
  increment(increments: CounterIncrement[], batchId?: string): Promise<void>
  /** Current values of the given counters, in the same order (zeros when missing). */
  get(refs: CounterRef[]): Promise<Counters[]>
  /**
   * Every counter of one scope and period, e.g. all keys on `d:2026-11-26`, or (with `id`) all
   * models of one key in a period for the `*-model` scopes.
   */
  list(scope: CounterScope, period: string, id?: string): Promise<CounterRow[]>
  /**
   * Sum of one field per subject over several periods of a (non-model) scope: ranks keys or
   * accounts without reading every field of every counter.
   */
  sumField(
    scope: 'key' | 'account' | 'model' | 'global',
    periods: string[],
    field: CounterField,
  ): Promise<Map<string, number>>
  /** Deletes every counter of a subject (a key or an account being purged); returns how many. */
  purgeSubject(scope: 'key' | 'account', id: string): Promise<number>
  /**
   * Every live counter with its expiry, in batches of about `batchSize`, in no particular order
   * (moving data to another store).
   */
  exportAll(batchSize: number): AsyncIterable<StoredCounter[]>
}
