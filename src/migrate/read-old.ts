/**
 * @module
 * The port for reading the old system's Redis (SCAN, never KEYS; pipelined HGETALL / GET /
 * SMEMBERS; never a write; the ioredis adapter is `storage/old-crs/redis-reader.ts`), and the
 * tolerant parsers for its all-strings values: booleans as 'true'/'false'/'', numbers as strings,
 * JSON inside strings.
 */

/** The commands the importer uses on the old Redis (all read-only). */
export interface OldRedis {
  /** Every key matching `pattern`, in SCAN batches (a key may appear twice; callers dedupe). */
  scan(pattern: string, count?: number): AsyncIterable<string[]>
  /** Approximate number of keys (DBSIZE), for progress. */
  size(): Promise<number>
  /** HGETALL of many keys; null for a missing key or one of another type. */
  hashes(keys: string[]): Promise<(Record<string, string> | null)[]>
  /** GET of many keys; null for a missing key or one of another type. */
  strings(keys: string[]): Promise<(string | null)[]>
  /** SMEMBERS of many keys; [] for a missing key or one of another type. */
  sets(keys: string[]): Promise<string[][]>
  close(): Promise<void>
}

/** Escapes glob metacharacters so a literal prefix can be used in a SCAN MATCH pattern. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`)
}

/** 'true' (any case) is true; anything else, including '' and missing, is `fallback` or false. */
export function oldBool(value: string | undefined, fallback = false): boolean {
  if (value === undefined || value === '') return fallback
  return value.trim().toLowerCase() === 'true'
}

/** A finite number from a string, else `fallback`. */
export function oldNumber(value: string | undefined | null, fallback = 0): number {
  if (value === undefined || value === null || value.trim() === '') return fallback
  const n = Number(value)
  return Number.isFinite(n) ? n : fallback
}

/** A non-negative integer from a string (floored), else `fallback`. */
export function oldInt(value: string | undefined | null, fallback = 0): number {
  const n = oldNumber(value, Number.NaN)
  return Number.isFinite(n) ? Math.max(0, Math.floor(n)) : fallback
}

/** Parsed JSON, or `undefined` when the value is empty or not JSON. */
export function oldJson(value: string | undefined): unknown {
  if (value === undefined || value.trim() === '') return undefined
  try {
    return JSON.parse(value) as unknown
  } catch {
    return undefined
  }
}

/** A list of strings from a JSON array, or a comma/space separated string. */
export function oldList(value: string | undefined): string[] {
  if (value === undefined || value.trim() === '') return []
  const parsed = oldJson(value)
  if (Array.isArray(parsed)) return parsed.filter((x): x is string => typeof x === 'string')
  if (typeof parsed === 'string') return oldList(parsed)
  return value
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean)
}

/** An ISO timestamp from an ISO string or epoch ms/s, else null. */
export function oldIso(value: string | undefined): string | null {
  const ms = oldEpochMs(value)
  return ms ? new Date(ms).toISOString() : null
}

/** Epoch ms from an ISO string or epoch ms/s, else 0. */
export function oldEpochMs(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 0
  const v = value.trim()
  if (/^\d+(\.\d+)?$/.test(v)) {
    const n = Number(v)
    if (!Number.isFinite(n) || n <= 0) return 0
    return n < 1e12 ? Math.round(n * 1000) : Math.round(n)
  }
  const ms = Date.parse(v)
  return Number.isNaN(ms) ? 0 : ms
}

/** A JSON object (record) from a string, else null. */
export function oldRecord(value: string | undefined): Record<string, unknown> | null {
  const parsed = oldJson(value)
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : null
}
