/**
 * @module
 * Storage port for request history.
 */
import type { HistoryFilter, HistoryRecord, HistoryStats, HistorySummary } from './model.ts'

/** Persistence and queries of request history. */
export interface HistoryRepository {
  /** Writes final records; writing the same id again replaces it (never duplicates it in any index). */
  write(records: HistoryRecord[]): Promise<void>
  get(id: string): Promise<HistoryRecord | null>
  /** Newest first, with the exact number of matches. */
  query(
    filter: HistoryFilter,
    page: { limit: number; offset: number },
  ): Promise<{ items: HistorySummary[]; total: number }>
  /** Aggregates over the matches; `bucketMs` adds a time series. */
  stats(
    filter: HistoryFilter,
    options?: { bucketMs?: number; tzOffsetHours?: number },
  ): Promise<HistoryStats>
  /** Streams every match in batches, newest first, without holding them all in memory. */
  scan(filter: HistoryFilter, batchSize: number): AsyncIterable<HistoryRecord[]>
  delete(id: string): Promise<boolean>
  /** Deletes records that started before `ts`; returns how many. */
  deleteBefore(ts: number): Promise<number>
  /** Deletes oldest records until the stored bodies total at most `maxBytes`; returns how many. */
  trimToBytes(maxBytes: number): Promise<number>
  /** Number of records and approximate stored bytes. */
  size(): Promise<{ count: number; bytes: number }>
}
