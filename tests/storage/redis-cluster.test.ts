/**
 * The Redis adapter on a private three-node Redis Cluster (started with the machine's
 * redis-server): the whole store contract, then what only a cluster can show: slots computed as
 * Redis computes them, data really spread over every master, and the writes that span slots
 * (usage batches, lease renewals, window usage) still applying exactly once.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type Redis from 'ioredis'
import { Cluster } from 'ioredis'
import { createRedisStores } from '../../src/storage/redis/create.ts'
import { keySlot, slotTag } from '../../src/storage/redis/slot.ts'
import type { Stores } from '../../src/storage/stores.ts'
import { type RedisCluster, startRedisCluster } from '../helpers/redis-cluster.ts'
import { describeStoreContract } from './store-contract.ts'

let cluster: RedisCluster
beforeAll(async () => {
  cluster = await startRedisCluster()
}, 30_000)
afterAll(async () => {
  await cluster?.stop()
})

const open = (prefix = 'test') =>
  createRedisStores({
    url: `redis://${cluster.nodes[0]}`,
    cluster: { nodes: cluster.nodes.slice(1) },
    prefix,
  })

describe('on a Redis Cluster', () => {
  describeStoreContract('redis-cluster', {
    make: () => open(),
    reopen: () => open(),
    destroy: async () => {},
  })
})

describe('Redis Cluster specifics', () => {
  let s: Stores
  let direct: Cluster
  beforeAll(async () => {
    s = await open('spec')
    const [host, port] = cluster.nodes[0]!.split(':')
    direct = new Cluster([{ host: host!, port: Number(port) }])
  })
  afterAll(async () => {
    await s.close()
    direct.disconnect()
  })

  test('key slots are computed as the cluster computes them; a slot tag lands in its slot', async () => {
    const samples = [
      '123456789',
      'crs:{k:4f1c}:usage:d:2026-11-27',
      'crs:{h}:idx:all',
      'foo{}{bar}',
      'foo{{bar}}zap',
      'foo{bar}{zap}',
      '{}',
      'naïve:模型:{ü}',
      ...Array.from({ length: 200 }, () => crypto.randomUUID()),
    ]
    for (const key of samples) expect(keySlot(key)).toBe(await direct.cluster('KEYSLOT', key))
    for (const slot of [0, 1, 5461, 5462, 10922, 10923, 16383])
      expect(await direct.cluster('KEYSLOT', `x:{${slotTag(slot)}}:y`)).toBe(slot)
  })

  test('usage of many keys spreads over every master and reads back exactly', async () => {
    const ids = Array.from({ length: 60 }, () => crypto.randomUUID())
    await s.usage.increment(
      ids.map((id, i) => ({
        scope: 'key' as const,
        id,
        period: 'total',
        values: { requests: 1, inputTokens: i + 1 },
        expiresAt: null,
      })),
      `spread-${crypto.randomUUID()}`,
    )
    const counters = await s.usage.get(ids.map((id) => ({ scope: 'key', id, period: 'total' })))
    expect(counters.map((c) => c.inputTokens)).toEqual(ids.map((_, i) => i + 1))
    const perMaster = await Promise.all(
      direct.nodes('master').map(async (node: Redis) => {
        let n = 0
        let cursor = '0'
        do {
          const [next, found] = await node.scan(cursor, 'MATCH', 'spec:{k:*}:usage:*', 'COUNT', 500)
          cursor = next
          n += found.length
        } while (cursor !== '0')
        return n
      }),
    )
    expect(perMaster).toHaveLength(3)
    for (const n of perMaster) expect(n).toBeGreaterThan(0)
    expect(perMaster.reduce((a, b) => a + b, 0)).toBe(60)
    const sums = await s.usage.sumField('key', ['total'], 'inputTokens')
    for (const [i, id] of ids.entries()) expect(sums.get(id)).toBe(i + 1)
  })

  test('a usage batch retried after only some of its slots were written counts each once', async () => {
    const [a, b] = [crypto.randomUUID(), crypto.randomUUID()]
    const slotB = keySlot(`{k:${b}}`)
    expect(keySlot(`{k:${a}}`)).not.toBe(slotB)
    const inc = (id: string) => ({
      scope: 'key' as const,
      id,
      period: 'total',
      values: { requests: 1, outputTokens: 7 },
      expiresAt: null,
    })
    await s.usage.increment([inc(a), inc(b)], 'partial-1')
    // As if b's slot had not been written (its MULTI failed while the others went through):
    // neither its counter nor its marker is there.
    await direct.del(`spec:{k:${b}}:usage:total`, `spec:usage-batch:partial-1:{${slotTag(slotB)}}`)
    await s.usage.increment([inc(a), inc(b)], 'partial-1')
    await s.usage.increment([inc(a), inc(b)], 'partial-1')
    const [ca, cb] = await s.usage.get([
      { scope: 'key', id: a, period: 'total' },
      { scope: 'key', id: b, period: 'total' },
    ])
    expect(ca).toMatchObject({ requests: 1, outputTokens: 7 })
    expect(cb).toMatchObject({ requests: 1, outputTokens: 7 })
    // The subject index (in a slot of its own) lists both, once.
    const rows = await s.usage.list('key', 'total')
    expect(rows.filter((r) => r.id === a || r.id === b)).toHaveLength(2)
  })

  test('leases and windows of keys on different masters renew and add in one call', async () => {
    const now = Date.now()
    const ids = Array.from({ length: 30 }, () => crypto.randomUUID())
    const window = { lengthMs: 60_000, maxRequests: 0, maxTokens: 0, maxCostNanos: 0 }
    const starts = await Promise.all(
      ids.map(async (keyId) => {
        const r = await s.limits.admit({
          keyId,
          leaseId: `l-${keyId}`,
          now,
          concurrency: { limit: 1, leaseMs: 1000 },
          window,
        })
        if (!r.ok) throw new Error('expected admission')
        return r.windowStart
      }),
    )
    await s.limits.renew(
      ids.map((keyId) => ({ keyId, leaseId: `l-${keyId}` })),
      60_000,
      now + 500,
    )
    // Past the first expiry, every lease is still held (so a second request is refused).
    for (const keyId of ids) expect(await s.limits.countLeases(keyId, now + 5000)).toBe(1)
    await s.limits.addWindowUsage(
      ids.map((keyId, i) => ({ keyId, windowStart: starts[i]!, tokens: i, costNanos: 2 * i })),
      'window-batch',
    )
    for (const [i, keyId] of ids.entries())
      expect(await s.limits.getWindow(keyId, 60_000, now + 1)).toMatchObject({
        requests: 1,
        tokens: i,
        costNanos: 2 * i,
      })
  })
})
