/**
 * @module
 * Turning finished requests into stored history records, and the writer port that does it off
 * the request path. Assembling a streamed answer and redacting bodies costs tens of microseconds
 * a request, and the insert as much again, so the history service hands batches of finished
 * requests to a {@link HistoryWriter}: inline (this thread, after the responses) or a worker
 * thread of its own (`src/runtime/history-writer.ts`), which takes the work off the thread that
 * serves requests. Everything here is pure so both run the same code.
 */
import type { Logger } from '../core/ports.ts'
import { utf8Length } from '../core/text.ts'
import { dialectOf } from '../dialects/registry.ts'
import type { RequestOutcome } from '../relay/recorder.ts'
import { closeJsonPrefix, looksLikeJson, truncationMarker } from './json-prefix.ts'
import type { HistoryRecord } from './model.ts'
import { redactText } from './redact.ts'
import type { HistoryRepository } from './repository.ts'

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

/** History settings before an admin changes them: on, bodies captured (64 KB / 256 KB). */
export function historyDefaults(retentionMs: number): HistoryConfig {
  return {
    enabled: true,
    captureBodies: true,
    maxRequestBodySize: 64 * 1024,
    maxResponseBodySize: 256 * 1024,
    retentionDays: Math.max(1, Math.round(retentionMs / 86_400_000)),
    maxTotalBytes: 1024 * 1024 * 1024,
  }
}

/**
 * A finished request as the history keeps it until written: the key reduced to id and name, the
 * headers a plain object (a writer thread gets a structured clone).
 */
export type PendingOutcome = Omit<RequestOutcome, 'key'> & { key: { id: string; name: string } }

/** Stores batches of finished requests as history records. */
export interface HistoryWriter {
  /** Which writer this is (`inline` or `worker`), for logs and /health. */
  readonly kind: string
  /** Turns `outcomes` into records (assembled, redacted, capped) and stores them, all or none. */
  write(outcomes: RequestOutcome[], config: HistoryConfig, known: string[]): Promise<void>
  /** Releases what the writer holds (a worker thread, its connection). */
  stop?(): Promise<void>
}

/** The part of an outcome a writer thread needs (drops the key's other fields, shares the rest). */
export function pendingOf(o: RequestOutcome): PendingOutcome {
  const h = o.requestHeaders
  return {
    ...o,
    key: { id: o.key.id, name: o.key.name },
    requestHeaders: h instanceof Headers ? headersRecord(h) : h,
  }
}

/** Headers as a plain object: Bun's `toJSON()` (one native call), elsewhere the entries. */
function headersRecord(h: Headers): Record<string, string> {
  return (
    (h as Headers & { toJSON?: () => Record<string, string> }).toJSON?.() ?? Object.fromEntries(h)
  )
}

/** Header names whose values are credentials (also any name that says key, token or secret). */
const CREDENTIAL_HEADERS =
  /^(?:authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|x-goog-api-key)$|key|token|secret|passw|session|signature/i
/** Verdicts of {@link CREDENTIAL_HEADERS} by header name (names repeat from request to request). */
const credentialNames = new Map<string, boolean>()

function isCredentialHeader(name: string): boolean {
  let hit = credentialNames.get(name)
  if (hit === undefined) {
    hit = CREDENTIAL_HEADERS.test(name)
    if (credentialNames.size < 1000) credentialNames.set(name, hit)
  }
  return hit
}

/**
 * Request headers as history keeps them: credentials `[REDACTED]` by name, values bounded, and
 * known secrets or key-like values redacted (one pass over all values; each value only when that
 * pass finds something). About 3 µs for a Claude Code request's 19 headers.
 */
export function capturedHeaders(
  headers: Headers | Record<string, string> | undefined,
  known: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {}
  if (!headers) return out
  let n = 0
  let plain = ''
  const take = (rawName: string, value: string) => {
    if (++n > 100) return
    const name = rawName.toLowerCase()
    if (isCredentialHeader(name)) {
      out[name] = '[REDACTED]'
      return
    }
    const v = value.length > 1000 ? value.slice(0, 1000) : value
    out[name] = v
    plain += `${v}\n`
  }
  const record = headers instanceof Headers ? headersRecord(headers) : headers
  for (const name in record) take(name, String(record[name]))
  if (plain && redactText(plain, known) !== plain)
    for (const [k, v] of Object.entries(out)) if (v !== '[REDACTED]') out[k] = redactText(v, known)
  return out
}

/**
 * Characters captured past a body's stored length, so that a secret crossing the cut is whole
 * when redaction runs (redact first, then cut): the relay captures this much more.
 */
export const REDACT_MARGIN = 4096

/**
 * Redacts `text`, then cuts it to `limit` characters with a note of what was there. A JSON body
 * stays JSON (the string it was cut in ends with the note, open brackets are closed), since
 * readers parse it; other text ends with the note on a line of its own.
 */
function redactCapped(
  text: string,
  limit: number,
  totalBytes: number,
  known: string[],
  cut = false,
): string {
  if (limit <= 0) return ''
  const more = cut || text.length > limit || totalBytes > utf8Length(text)
  const clean = redactText(text, known)
  if (!more) return clean
  const kept = clean.length > limit ? clean.slice(0, limit) : clean
  const note = { totalBytes, keptChars: kept.length }
  const json = looksLikeJson(kept) ? closeJsonPrefix(kept, note) : null
  return json ?? `${kept}\n${truncationMarker(note)}`
}

/** Turns a finished request into a stored record (bodies redacted, then capped). */
export function toRecord(o: PendingOutcome, config: HistoryConfig, known: string[]): HistoryRecord {
  // A streamed answer is assembled into the message before redaction: a secret the model
  // echoes can be split across deltas, and only the assembled text shows it whole.
  // Text past the stored length is not assembled (it could not show).
  let responseText = o.responseBody
  let cut = o.responseTruncated
  if (o.stream && responseText) {
    const assembled = dialectOf(o.dialect)?.assemble(
      responseText,
      config.captureBodies ? config.maxResponseBodySize + REDACT_MARGIN : 0,
    )
    if (assembled) {
      responseText = JSON.stringify(assembled.message)
      cut ||= assembled.cut
    }
  }
  // A cut answer reports the size it had; a whole one, the size of what is stored.
  const total = cut ? o.responseBodyBytes : responseText.length
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
    platform: o.platform,
    model: o.model,
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
    ...(o.usage?.reasoningTokens && { reasoningTokens: o.usage.reasoningTokens }),
    costNanos: o.costNanos,
    tries: o.attempts.length,
    requestBody: withBodies
      ? redactCapped(o.requestBody, config.maxRequestBodySize, o.requestBodyBytes, known)
      : '',
    responseBody: withBodies
      ? redactCapped(responseText, config.maxResponseBodySize, total, known, cut)
      : '',
    requestHeaders: withBodies ? capturedHeaders(o.requestHeaders, known) : {},
    attempts: o.attempts.map((a) => ({
      ...a,
      error: redactText(a.error, known),
      ...(a.upstreamBody !== undefined && {
        upstreamBody: withBodies ? redactText(a.upstreamBody, known) : '',
      }),
    })),
  }
}

/** Builds records for `outcomes` (one that cannot be built is reported and skipped). */
export function recordsOf(
  outcomes: PendingOutcome[],
  config: HistoryConfig,
  known: string[],
  onError: (requestId: string, err: unknown) => void,
): HistoryRecord[] {
  const out: HistoryRecord[] = []
  for (const o of outcomes) {
    try {
      out.push(toRecord(o, config, known))
    } catch (err) {
      onError(o.requestId, err)
    }
  }
  return out
}

/** Logs a finished request whose record could not be built (it is skipped, the rest written). */
export function logSkippedRecord(logger: Logger) {
  return (requestId: string, error: unknown) =>
    logger.error('cannot build a history record', { requestId, error })
}

/** A writer that builds and stores records on the calling thread. */
export function inlineHistoryWriter(repo: HistoryRepository, logger: Logger): HistoryWriter {
  const onError = logSkippedRecord(logger)
  return {
    kind: 'inline',
    write: (outcomes, config, known) => repo.write(recordsOf(outcomes, config, known, onError)),
  }
}
