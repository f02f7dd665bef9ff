/**
 * @module
 * Request history: one final record per request (written once, when the request has ended, so
 * nothing is ever left pending), with captured bodies capped and redacted, written in batches off
 * the response path, queried with combined filters and exact totals, and kept bounded by age and
 * by total size. The capture settings are persisted and shared by every instance.
 */

import type { CoordRepository } from '../coord/repository.ts'
import { InvalidRequestError } from '../core/errors.ts'
import { type FaultReporter, faultText, ignoreFaults } from '../core/faults.ts'
import type { Clock, Logger } from '../core/ports.ts'
import { nextTurn, serialFlush } from '../core/serial-flush.ts'
import type { RequestOutcome, RequestRecorder } from '../relay/recorder.ts'
import type { SettingsRepository } from '../settings/repository.ts'
import type { HistoryFilter } from './model.ts'
import type { HistoryRepository } from './repository.ts'
import {
  type HistoryConfig,
  type HistoryWriter,
  inlineHistoryWriter,
  REDACT_MARGIN,
} from './writer.ts'

export type { HistoryConfig } from './writer.ts'

const SETTING = 'history'
const CHANNEL = 'history-config'
const DAY = 86_400_000

/** Options of {@link createHistoryService}. */
export interface HistoryServiceOptions {
  repo: HistoryRepository
  settings: SettingsRepository
  coord: CoordRepository
  clock: Clock
  logger: Logger
  defaults: HistoryConfig
  /** Literal secrets to redact (account keys and tokens; only high-entropy ones are used). */
  knownSecrets: () => string[]
  flushMs?: number
  /** Runs before each `flush()`: hands over finished requests still waiting for their turn. */
  beforeFlush?: () => void
  /** Who builds and stores the records (default: inline, on this thread). */
  writer?: HistoryWriter
  /** Told when writes start failing (`history_write_failed`) and when they pass again. */
  faults?: FaultReporter
}

/** Checks and normalises a settings update (accepts the old system's field names too). */
export function parseHistoryConfig(
  input: Record<string, unknown>,
  base: HistoryConfig,
): HistoryConfig {
  const next = { ...base }
  const bool = (k: string, v: unknown) => {
    if (typeof v !== 'boolean') throw new InvalidRequestError(`${k}: expected true or false`)
    return v
  }
  const int = (k: string, v: unknown, min: number, max: number) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new InvalidRequestError(`${k}: expected an integer from ${min} to ${max}`)
    return v
  }
  if (input.enabled !== undefined) next.enabled = bool('enabled', input.enabled)
  if (input.enableLogging !== undefined) next.enabled = bool('enableLogging', input.enableLogging)
  if (input.captureBodies !== undefined)
    next.captureBodies = bool('captureBodies', input.captureBodies)
  if (input.maxRequestBodySize !== undefined)
    next.maxRequestBodySize = int('maxRequestBodySize', input.maxRequestBodySize, 0, 10_000_000)
  if (input.maxResponseBodySize !== undefined)
    next.maxResponseBodySize = int('maxResponseBodySize', input.maxResponseBodySize, 0, 10_000_000)
  if (input.retentionDays !== undefined)
    next.retentionDays = int('retentionDays', input.retentionDays, 1, 3650)
  if (input.maxTotalBytes !== undefined)
    next.maxTotalBytes = int('maxTotalBytes', input.maxTotalBytes, 1_000_000, 1_000_000_000_000)
  return next
}

/** Creates the history service. */
export function createHistoryService(options: HistoryServiceOptions) {
  const { repo, settings, coord, clock, logger } = options
  const faults = options.faults ?? ignoreFaults
  let config: HistoryConfig = { ...options.defaults }
  const writer = options.writer ?? inlineHistoryWriter(repo, logger)
  /**
   * Finished requests waiting to be written. They are turned into records by the writer, when a
   * batch is written: assembling a streamed answer and redacting bodies is not done on the
   * response's path. Bounded by count and by captured characters (a storage outage).
   */
  let queue: RequestOutcome[] = []
  let queuedChars = 0
  let flushSoon: ReturnType<typeof setTimeout> | null = null
  const MAX_QUEUE = 50_000
  const MAX_QUEUE_CHARS = 128 * 1024 * 1024
  /** Records per slice: sized so that what a slice does on this thread takes about SLICE_MS. */
  const SLICE = 64
  const SLICE_MS = 1
  let slice = 16
  /**
   * Past this many pending requests, slices are SLICE whatever they cost: under load, slices of
   * 1 ms with a turn of the event loop between them fall behind and the queue (and memory) grows.
   */
  const BACKLOG = 500
  const SOON_CHARS = 8 * 1024 * 1024
  const charsOf = (o: RequestOutcome) => o.requestBody.length + o.responseBody.length

  async function loadConfig(): Promise<void> {
    try {
      const stored = (await settings.get(SETTING)) as Partial<HistoryConfig> | null
      config = { ...options.defaults, ...(stored ?? {}) }
    } catch (err) {
      logger.warn('cannot read history settings; using defaults', { error: err })
    }
  }
  const ready = loadConfig()
  void coord.subscribe(CHANNEL, () => void loadConfig()).catch(() => {})

  const recorder: RequestRecorder = {
    record(o) {
      if (!config.enabled) return
      enqueue(o)
      // A full batch (or 8 MB of captured bodies) is written soon, but never inside the request
      // that filled it.
      if ((queue.length >= 500 || queuedChars >= SOON_CHARS) && !flushSoon)
        flushSoon = setTimeout(() => {
          flushSoon = null
          tick()
        }, 0)
    },
  }

  function enqueue(o: RequestOutcome): void {
    queue.push(o)
    queuedChars += charsOf(o)
    let dropped = 0
    while (queue.length > MAX_QUEUE || (queuedChars > MAX_QUEUE_CHARS && queue.length > 1)) {
      queuedChars -= charsOf(queue.shift()!)
      dropped++
    }
    if (dropped)
      logger.error('history queue is full; dropped the oldest pending records', { dropped })
  }

  /** Takes up to `n` pending requests off the queue. */
  function take(n: number): RequestOutcome[] {
    const batch = queue.length <= n ? queue : queue.slice(0, n)
    queue = batch === queue ? [] : queue.slice(n)
    for (const o of batch) queuedChars -= charsOf(o)
    return batch
  }

  /**
   * Writes what is pending now, in slices with a turn of the event loop between them, so a large
   * backlog never holds up the requests being served; requests that finish meanwhile wait for the
   * next write. A request that arrives while a slice runs on this thread (building records, an
   * SQLite transaction, encoding Redis commands; not the wait for Redis or a writer thread) waits
   * for it, so slices are sized to about SLICE_MS of that. A slice that fails goes back to the
   * front of the queue.
   */
  async function writePending(): Promise<void> {
    let left = queue.length
    while (left > 0) {
      const batch = take(Math.min(queue.length > BACKLOG ? SLICE : slice, left))
      if (batch.length === 0) break
      left -= batch.length
      try {
        const t = performance.now()
        const written = writer.write(batch, config, options.knownSecrets())
        // The call returns at its first wait: what it took so far held up this thread.
        const perRecord = Math.max(0.001, (performance.now() - t) / batch.length)
        slice = Math.min(SLICE, Math.max(4, Math.round(SLICE_MS / perRecord)))
        await written
        faults.recovered('history_write_failed')
      } catch (err) {
        logger.warn('history write failed; will retry', { records: batch.length, error: err })
        faults.failed(
          'history_write_failed',
          `Request history cannot be written: ${faultText(err)}`,
        )
        queue = batch.concat(queue)
        for (const o of batch) queuedChars += charsOf(o)
        break
      }
      if (left > 0) await nextTurn()
    }
  }
  const { flush, tick } = serialFlush(writePending, { beforeFlush: options.beforeFlush })
  const timer = setInterval(tick, options.flushMs ?? 250)
  ;(timer as { unref?: () => void }).unref?.()

  return {
    recorder,
    /** Writes everything recorded so far (finished requests waiting for their turn included). */
    flush,
    ready,
    /** The current settings. */
    config: () => config,
    /** Which writer builds and stores the records (`inline` or `worker`). */
    writerKind: () => writer.kind,
    /** Finished requests waiting to be written. */
    pendingCount: () => queue.length,
    /** Capture limits the relay applies while reading bodies (characters; 0 = none). */
    captureLimits: () =>
      config.enabled && config.captureBodies
        ? {
            request: config.maxRequestBodySize + REDACT_MARGIN,
            response: config.maxResponseBodySize * 4 + REDACT_MARGIN,
          }
        : { request: 0, response: 0 },
    /** Saves new settings for every instance. */
    async updateConfig(input: Record<string, unknown>): Promise<HistoryConfig> {
      const next = parseHistoryConfig(input, config)
      await settings.put(SETTING, next)
      config = next
      await coord.publish(CHANNEL, '1').catch(() => {})
      return next
    },
    query: (filter: HistoryFilter, page: { limit: number; offset: number }) =>
      repo.query(filter, page),
    get: (id: string) => repo.get(id),
    delete: (id: string) => repo.delete(id),
    stats: (filter: HistoryFilter, opts?: { bucketMs?: number; tzOffsetHours?: number }) =>
      repo.stats(filter, opts),
    scan: (filter: HistoryFilter, batch: number) => repo.scan(filter, batch),
    deleteBefore: (ts: number) => repo.deleteBefore(ts),
    /** Retention by age, then by total size. */
    async cleanup(): Promise<{ byAge: number; bySize: number }> {
      await flush()
      const byAge = await repo.deleteBefore(clock.now() - config.retentionDays * DAY)
      const bySize = await repo.trimToBytes(config.maxTotalBytes)
      if (byAge || bySize) logger.info('history cleanup', { byAge, bySize })
      return { byAge, bySize }
    },
    size: () => repo.size(),
    stop: async () => {
      clearInterval(timer)
      if (flushSoon) clearTimeout(flushSoon)
      await flush()
      await writer.stop?.()
      // A slice the writer refused (a writer thread's database busy, a store that blipped) gets
      // one more try before the process ends: a stopped writer thread hands it to the inline one.
      if (queue.length > 0) await flush()
      if (queue.length > 0)
        logger.error('history records not written at shutdown', { records: queue.length })
    },
  }
}

/** The history service's interface. */
export type HistoryService = ReturnType<typeof createHistoryService>
