/**
 * @module
 * Read-only access to the old system's Redis: SCAN (never KEYS) and pipelined HGETALL / GET /
 * SMEMBERS. No write command is ever sent. Also the tolerant parsers for its all-strings values:
 * booleans as 'true'/'false'/'', numbers as strings, JSON inside strings.
 */
import Redis from 'ioredis'

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

/** Connects to the old Redis (`redis://[user:pass@]host:port[/db]`). */
export async function connectOldRedis(url: string): Promise<OldRedis> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    connectTimeout: 5000,
    enableOfflineQueue: true,
  })
  await client.connect()
  const pipelined = async <T>(
    keys: string[],
    add: (p: ReturnType<Redis['pipeline']>, key: string) => void,
    empty: T,
  ): Promise<unknown[]> => {
    if (keys.length === 0) return []
    const pipe = client.pipeline()
    for (const k of keys) add(pipe, k)
    const replies = (await pipe.exec()) ?? []
    return keys.map((_, i) => {
      const r = replies[i]
      return !r || r[0] ? empty : r[1]
    })
  }
  return {
    async *scan(pattern, count = 1000) {
      let cursor = '0'
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', count)
        cursor = next
        if (keys.length) yield keys
      } while (cursor !== '0')
    },
    size: () => client.dbsize(),
    async hashes(keys) {
      const out = await pipelined(keys, (p, k) => p.hgetall(k), null)
      return out.map((v) =>
        v && typeof v === 'object' && Object.keys(v).length > 0
          ? (v as Record<string, string>)
          : null,
      )
    },
    async strings(keys) {
      const out = await pipelined(keys, (p, k) => p.get(k), null)
      return out.map((v) => (typeof v === 'string' ? v : null))
    },
    async sets(keys) {
      const out = await pipelined(keys, (p, k) => p.smembers(k), [])
      return out.map((v) => (Array.isArray(v) ? (v as string[]) : []))
    },
    async close() {
      await client.quit().catch(() => client.disconnect())
    },
  }
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
