/**
 * @module
 * Request history: one final record per request (written once, when the request has ended, so
 * nothing is ever left pending), with captured bodies capped and redacted, written in batches off
 * the response path, queried with combined filters and exact totals, and kept bounded by age and
 * by total size. The capture settings are persisted and shared by every instance.
 */
import type { CoordRepository } from '../coord/repository.ts'
import { InvalidRequestError } from '../core/errors.ts'
import type { Clock, Logger } from '../core/ports.ts'
import { utf8Length } from '../core/text.ts'
import type { RequestOutcome, RequestRecorder } from '../relay/recorder.ts'
import type { SettingsRepository } from '../settings/repository.ts'
import type { HistoryFilter, HistoryRecord } from './model.ts'
import { redactText } from './redact.ts'
import type { HistoryRepository } from './repository.ts'
import { assembleSse } from './sse-assemble.ts'

/** Persisted history settings. */
export interface HistoryConfig {
  /** Record requests at all. */
  enabled: boolean
  /** Keep request and response bodies (off = metadata only, for privacy). */
  captureBodies: boolean
  /** Characters of request body kept. */
  maxRequestBodySize: number
  /** Characters of response body kept. */
  maxResponseBodySize: number
  /** Records older than this are deleted by the cleanup. */
  retentionDays: number
  /** The oldest records are deleted while the history holds more than this. */
  maxTotalBytes: number
}

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
  /** Literal secrets to redact (account tokens and keys, admin password…). */
  knownSecrets: () => string[]
  flushMs?: number
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

function capped(text: string, limit: number, totalBytes: number): string {
  if (limit <= 0) return ''
  const cut = text.length > limit ? text.slice(0, limit) : text
  const more = text.length > limit || totalBytes > utf8Length(text)
  return more ? `${cut}\n…[truncated: ${totalBytes} bytes in total, ${limit} characters kept]` : cut
}

/** Creates the history service. */
export function createHistoryService(options: HistoryServiceOptions) {
  const { repo, settings, coord, clock, logger } = options
  let config: HistoryConfig = { ...options.defaults }
  let queue: HistoryRecord[] = []
  let flushing: Promise<void> | null = null
  const MAX_QUEUE = 50_000

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

  /** Turns an outcome into a stored record (bodies capped and redacted). */
  function toRecord(o: RequestOutcome): HistoryRecord {
    const known = options.knownSecrets()
    // A streamed answer is assembled into the message before redaction: a secret the model
    // echoes can be split across deltas, and only the assembled text shows it whole.
    let responseText = o.responseBody
    if (o.stream && responseText) {
      const msg = assembleSse(responseText)
      if (msg) responseText = JSON.stringify(msg)
    }
    const withBodies = config.captureBodies
    return {
      id: o.requestId,
      startTime: o.startTime,
      endTime: o.endTime,
      durationMs: Math.max(0, o.endTime - o.startTime),
      ttfbMs: o.ttfbMs,
      overheadMs: o.overheadMs,
      keyId: o.key.id,
      keyName: o.key.name,
      accountId: o.accountId,
      accountName: o.accountName,
      model: o.accountingModel || o.model,
      stream: o.stream,
      endpoint: o.endpoint,
      userAgent: o.userAgent.slice(0, 300),
      status: o.status,
      outcome: o.outcome,
      errorType: o.errorType,
      errorMessage: redactText(o.errorMessage, known).slice(0, 2000),
      inputTokens: o.usage?.inputTokens ?? 0,
      outputTokens: o.usage?.outputTokens ?? 0,
      cacheCreate5mTokens: o.usage?.cacheCreate5mTokens ?? 0,
      cacheCreate1hTokens: o.usage?.cacheCreate1hTokens ?? 0,
      cacheReadTokens: o.usage?.cacheReadTokens ?? 0,
      costNanos: o.costNanos,
      tries: o.attempts.length,
      requestBody: withBodies
        ? redactText(capped(o.requestBody, config.maxRequestBodySize, o.requestBodyBytes), known)
        : '',
      responseBody: withBodies
        ? redactText(
            capped(
              responseText,
              config.maxResponseBodySize,
              o.responseTruncated ? o.responseBodyBytes + 1 : responseText.length,
            ),
            known,
          )
        : '',
      attempts: o.attempts.map((a) => ({ ...a, error: redactText(a.error, known) })),
    }
  }

  const recorder: RequestRecorder = {
    record(o) {
      if (!config.enabled) return
      if (queue.length >= MAX_QUEUE) {
        logger.error('history queue is full; dropping the oldest pending record', {
          requestId: queue[0]?.id,
        })
        queue.shift()
      }
      queue.push(toRecord(o))
      if (queue.length >= 500) void flush()
    },
  }

  /** Writes pending records; on failure they are retried with the next batch. */
  function flush(): Promise<void> {
    if (flushing) return flushing
    if (queue.length === 0) return Promise.resolve()
    const batch = queue
    queue = []
    flushing = (async () => {
      try {
        await repo.write(batch)
      } catch (err) {
        logger.warn('history write failed; will retry', { records: batch.length, error: err })
        queue = batch.concat(queue).slice(-MAX_QUEUE)
      } finally {
        flushing = null
      }
    })()
    return flushing
  }
  const timer = setInterval(() => void flush(), options.flushMs ?? 250)
  ;(timer as { unref?: () => void }).unref?.()

  return {
    recorder,
    flush,
    ready,
    /** The current settings. */
    config: () => config,
    /** Capture limits the relay applies while reading bodies (characters; 0 = none). */
    captureLimits: () =>
      config.enabled && config.captureBodies
        ? { request: config.maxRequestBodySize, response: config.maxResponseBodySize * 4 }
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
      await flush()
      if (queue.length) await flush()
    },
  }
}

/** The history service's interface. */
export type HistoryService = ReturnType<typeof createHistoryService>
