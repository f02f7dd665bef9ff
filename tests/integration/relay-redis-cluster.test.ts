/**
 * The relay on a Redis Cluster (a private three-node cluster): two in-process relays share it the
 * way two instances would, and a real process is configured for it from the environment
 * (REDIS_CLUSTER_NODES, history written from a worker thread). Requests go in through the official SDK; usage, history, limits and
 * admin changes must behave as they do on one Redis.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import Redis from 'ioredis'
import { RESYNC } from '../../src/coord/repository.ts'
import { createRedisStores } from '../../src/storage/redis/create.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { adminOf, type RelayProcess, relayStreamedOnce, spawnRelay } from '../helpers/process.ts'
import { type RedisCluster, startRedisCluster } from '../helpers/redis-cluster.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const ask = {
  model: 'claude-sonnet-4-6',
  max_tokens: 64,
  messages: [{ role: 'user' as const, content: 'Hi from the cluster' }],
}

/** What the key's holder sees on the public stats page (usage by period). */
async function userStats(r: TestRelay, key: string) {
  const res = await r.handle(
    new Request('http://localhost/apiStats/api/user-stats', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiKey: key }),
    }),
  )
  return ((await res.json()) as any).data
}

describe('relay on a Redis Cluster', () => {
  let cluster: RedisCluster
  let up: FakeUpstream
  let a: TestRelay
  let b: TestRelay
  const stores = () =>
    createRedisStores({
      url: `redis://${cluster.nodes[0]}`,
      cluster: { nodes: cluster.nodes.slice(1) },
      prefix: 'crs',
    })

  beforeAll(async () => {
    cluster = await startRedisCluster()
    up = startFakeUpstream()
    a = await startRelay({ upstream: up, listen: true, stores: await stores() })
    b = await startRelay({ upstream: up, listen: true, stores: await stores() })
    await a.createConsoleAccount('cl1')
  }, 30_000)
  afterAll(async () => {
    await a?.stop()
    await b?.stop()
    up?.stop()
    await cluster?.stop()
  })

  const send = (r: TestRelay, key: string) =>
    fetch(`${r.url}/api/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key },
      body: JSON.stringify(ask),
    })

  test('a key made on one instance works through the other; usage and history land on the cluster', async () => {
    const { id, key } = await a.createKey({ name: 'cluster-key' })
    const sdk = (r: TestRelay) =>
      new Anthropic({ baseURL: `${r.url}/api`, apiKey: key, maxRetries: 0 })
    const streamed = await sdk(b).messages.stream(ask).finalMessage()
    expect((streamed.content[0] as { text: string }).text).toContain('cl1')
    const plain = await sdk(a).messages.create(ask)
    expect(plain.usage.input_tokens).toBe(25)

    for (const r of [a, b]) {
      await r.relay.services.usage.flush()
      await r.relay.services.history.flush()
    }
    // Read back through the other instance than the one that wrote most of it.
    expect((await userStats(b, key)).usage.total).toMatchObject({ requests: 2 })
    const list = (await b.admin('GET', `/admin/request-history?apiKeyId=${id}&limit=10`)).json.data
    expect(list.history.map((h: any) => h.stream).sort()).toEqual([false, true])
    const detail = (await b.admin('GET', `/admin/request-history/${list.history[0].id}`)).json.data
    expect(detail.requestBody).toContain('Hi from the cluster')
    expect(detail.responseBody).toContain('cl1')
  })

  test('a request window and a concurrency limit hold across both instances', async () => {
    // Two keys (their limits live on different masters, most likely), requests interleaved.
    const keys = [
      await a.createKey({ rateLimitWindow: 1, rateLimitRequests: 10 }),
      await a.createKey({ rateLimitWindow: 1, rateLimitRequests: 10 }),
    ]
    const sent = await Promise.all(
      Array.from({ length: 80 }, async (_, i) => {
        const res = await send(i % 2 ? a : b, keys[(i >> 1) % 2]!.key)
        await res.arrayBuffer()
        return { key: (i >> 1) % 2, status: res.status }
      }),
    )
    for (const k of [0, 1]) {
      const statuses = sent.filter((x) => x.key === k).map((x) => x.status)
      expect(statuses.filter((s) => s === 200)).toHaveLength(10)
      expect(statuses.filter((s) => s === 429)).toHaveLength(30)
    }

    const limited = await a.createKey({ concurrencyLimit: 2 })
    up.script('*', { kind: 'delay', ms: 300 })
    try {
      const results = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const res = await send(i % 2 ? a : b, limited.key)
          return { status: res.status, body: await res.text() }
        }),
      )
      expect(results.filter((x) => x.status === 200)).toHaveLength(2)
      const refused = results.filter((x) => x.status === 429)
      expect(refused).toHaveLength(6)
      expect(JSON.parse(refused[0]!.body).error.type).toBe('rate_limit_error')
    } finally {
      up.script('*', { kind: 'ok' })
    }
  })

  test('a key disabled on one instance is refused by the other within a second', async () => {
    const { id, key } = await a.createKey()
    expect((await send(b, key)).status).toBe(200)
    expect((await a.admin('PUT', `/admin/api-keys/${id}`, { isActive: false })).status).toBe(200)
    const t0 = Date.now()
    let status = 200
    while (Date.now() - t0 < 1000) {
      const res = await send(b, key)
      await res.arrayBuffer()
      status = res.status
      if (status !== 200) break
      await Bun.sleep(25)
    }
    expect(status).toBe(401)
  })

  test('a relay process configured by REDIS_CLUSTER_NODES relays a stream', async () => {
    let proc: RelayProcess | undefined
    try {
      proc = await spawnRelay({
        REDIS_CLUSTER_NODES: cluster.nodes.join(','),
        REDIS_PREFIX: 'proc',
        CLAUDE_API_URL: up.messagesUrl,
        // History written from its own thread, which opens its own cluster connection.
        HISTORY_WRITER: 'worker',
      })
      const health = (await (await fetch(`${proc.url}/health`)).json()) as any
      expect(JSON.stringify(health)).toContain('redis')
      const res = await relayStreamedOnce(proc.url, up.url, 'proc-account')
      expect(res.status).toBe(200)
      expect(res.type).toContain('text/event-stream')
      expect(res.text).toContain('event: message_stop')
      const admin = await adminOf(proc.url)
      let total = 0
      for (let i = 0; i < 60 && total === 0; i++) {
        total = (await admin('GET', '/admin/request-history?limit=5')).data.pagination.total
        if (total === 0) await Bun.sleep(50)
      }
      expect(total).toBe(1)
    } finally {
      await proc?.stop()
    }
  })
})

describe('relay on a Redis Cluster that loses a master', () => {
  let cluster: RedisCluster
  let up: FakeUpstream
  let r: TestRelay

  beforeAll(async () => {
    cluster = await startRedisCluster({ persist: true })
    up = startFakeUpstream()
    r = await startRelay({
      upstream: up,
      listen: true,
      stores: await createRedisStores({
        url: `redis://${cluster.nodes[0]}`,
        cluster: { nodes: cluster.nodes.slice(1) },
        prefix: 'crs',
      }),
    })
    await r.createConsoleAccount('survivor')
  }, 30_000)
  afterAll(async () => {
    await r?.stop()
    up?.stop()
    await cluster?.stop()
  })

  test('while a master is down requests fail cleanly and fast; once it is back they pass, and usage counts each success once', async () => {
    const { id, key } = await r.createKey()
    const results: { status: number; ms: number; body: string }[] = []
    const once = async () => {
      const t0 = performance.now()
      const res = await fetch(`${r.url}/api/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': key },
        body: JSON.stringify({ ...ask, stream: results.length % 2 === 0 }),
        signal: AbortSignal.timeout(10_000),
      })
      const body = await res.text()
      results.push({ status: res.status, ms: performance.now() - t0, body })
      return res.status
    }
    expect(await once()).toBe(200)
    // The master that holds the key's leases and limits: admission cannot happen without it.
    const victim = await cluster.nodeOf(`crs:{k:${id}}:leases`)
    expect(victim).toBeGreaterThanOrEqual(0)
    await cluster.kill(victim)
    // Well past the node timeout (2 s): the other masters mark it failed and the cluster down.
    const outageEnd = Date.now() + 6000
    while (Date.now() < outageEnd) {
      await once()
      await Bun.sleep(50)
    }
    await cluster.restart(victim)
    const t0 = Date.now()
    while ((await once()) !== 200 && Date.now() - t0 < 15_000) await Bun.sleep(100)
    const recoveredMs = Date.now() - t0
    for (let i = 0; i < 5; i++) expect(await once()).toBe(200)

    const failures = results.filter((x) => x.status !== 200)
    expect(failures.length).toBeGreaterThan(0)
    for (const f of failures) {
      // A server-side error in the Anthropic shape, answered well before the client gives up.
      expect(f.status).toBeGreaterThanOrEqual(500)
      expect(JSON.parse(f.body)).toMatchObject({
        type: 'error',
        error: { type: expect.any(String) },
      })
      expect(f.ms).toBeLessThan(3000)
    }
    expect(recoveredMs).toBeLessThan(15_000)

    await r.relay.services.usage.flush()
    const ok = results.filter((x) => x.status === 200).length
    expect(await userStats(r, key)).toMatchObject({
      id,
      usage: { total: { requests: ok } },
    })
    console.log(
      `[redis cluster outage] ${results.length} requests, ${failures.length} failed (slowest ${Math.round(Math.max(...failures.map((f) => f.ms)))} ms), served again ${recoveredMs} ms after the master restarted`,
    )
  }, 60_000)

  test('the invalidation connection moves to another node when its node dies, and says RESYNC', async () => {
    const got: string[] = []
    const unsubscribe = await r.relay.stores.coord.subscribe('moving', (m) => got.push(m))
    // The subscriber connects to the first seed: take that node down for good (for this test).
    await cluster.kill(0)
    const [host, port] = cluster.nodes[1]!.split(':')
    const other = new Redis(Number(port), host!, { maxRetriesPerRequest: 0 })
    try {
      const t0 = Date.now()
      // PUBLISH on a cluster reaches the subscribers of every node.
      while (!got.includes('hello') && Date.now() - t0 < 8000) {
        await other.publish('crs:bus:moving', 'hello')
        await Bun.sleep(100)
      }
      expect(got).toContain('hello')
      // Messages may have been missed while it moved: the handler was told to re-read.
      expect(got.indexOf(RESYNC)).toBeLessThan(got.indexOf('hello'))
    } finally {
      other.disconnect()
      await unsubscribe()
      await cluster.restart(0)
    }
  }, 40_000)
})
