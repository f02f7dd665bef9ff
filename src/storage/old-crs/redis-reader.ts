/**
 * @module
 * The ioredis adapter of the importer's {@link OldRedis} port: read-only access to the old
 * system's Redis. No write command is ever sent.
 */
import Redis from 'ioredis'
import type { OldRedis } from '../../migrate/read-old.ts'

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
