/**
 * `copy-store`: a relay that grew up on SQLite moves to Redis, then to a Redis Cluster. After each
 * copy a relay on the new store serves the same keys through the official SDK (their hashes and
 * the account secrets still work under the same ENCRYPTION_KEY) and shows the same usage,
 * history, settings, groups and audit log. Running the copy again changes nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Anthropic from '@anthropic-ai/sdk'
import { type CopyArgs, parseCopyArgs, runCopy } from '../../src/cli/copy-store.ts'
import { copyStores } from '../../src/migrate/copy-store.ts'
import { ensureDir, localSecretFiles, openBunSqlite } from '../../src/runtime/bun.ts'
import { createRedisStores } from '../../src/storage/redis/create.ts'
import { createSqliteStores } from '../../src/storage/sqlite/create.ts'
import type { Stores } from '../../src/storage/stores.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { deletePrefix, REDIS_TEST_URL, shouldRunRedis } from '../helpers/redis.ts'
import { type RedisCluster, startRedisCluster } from '../helpers/redis-cluster.ts'
import { startRelay, TEST_ENCRYPTION_KEY, type TestRelay } from '../helpers/relay.ts'

const runtime = {
  openSqlite: openBunSqlite,
  secretFiles: localSecretFiles,
  ensureDir,
  fileExists: existsSync,
}

/** Runs the command as `npm run copy-store -- …argv` would, with `env` as the environment. */
async function copy(argv: string[], env: Record<string, string>) {
  const out: string[] = []
  const err: string[] = []
  const result = await runCopy({
    args: parseCopyArgs(argv),
    env,
    runtime,
    out: (l) => out.push(l),
    err: { write: (t) => err.push(t), isTTY: false },
  })
  return { ...result, out: out.join('\n'), err: err.join('') }
}

/** Sorted by id: stores list records created in the same millisecond in different orders. */
const byId = <T extends { id: string }>(list: T[]) => list.sort((a, b) => a.id.localeCompare(b.id))

/** Everything a user would compare before and after a move, read through a relay. */
async function snapshot(r: TestRelay, keyIds: string[]) {
  await r.relay.services.usage.flush()
  await r.relay.services.history.flush()
  await r.relay.services.audit.flush()
  const s = r.relay.stores
  // Read before the history pages below: a relay's first admin call signs in, and the sign-in's
  // own audit entry (written by the log's timer, sooner or later) must not be in the snapshot.
  const audit = (await s.settings.listAudit({ limit: 1000 })).map((e) => e.id).sort()
  const usage = []
  for await (const batch of s.usage.exportAll(500))
    usage.push(...batch.map((c) => ({ ...c, expiresAt: c.expiresAt === null })))
  usage.sort((a, b) =>
    `${a.scope}|${a.id}|${a.model}|${a.period}`.localeCompare(
      `${b.scope}|${b.id}|${b.model}|${b.period}`,
    ),
  )
  const history = []
  for (const id of keyIds) {
    const page = (await r.admin('GET', `/admin/request-history?apiKeyId=${id}&limit=100`)).json.data
    history.push(
      ...page.history.map((h: any) => ({ id: h.id, outcome: h.outcome, costNanos: h.costNanos })),
    )
  }
  return {
    keys: byId((await s.keys.list()).map((k) => ({ id: k.id, hash: k.hash, name: k.name }))),
    accounts: byId((await s.accounts.list()).map((a) => ({ id: a.id, name: a.name }))),
    states: byId(
      [...(await s.accounts.getStates((await s.accounts.list()).map((a) => a.id)))].map(
        ([id, st]) => ({ id, status: st.status, rateLimitedUntil: st.rateLimitedUntil }),
      ),
    ),
    groups: (await s.accounts.listGroups()).map((g) => g.name).sort(),
    settings: Object.fromEntries(
      await Promise.all((await s.settings.names()).map(async (n) => [n, await s.settings.get(n)])),
    ),
    audit,
    usage,
    history: history.sort((a, b) => a.id.localeCompare(b.id)),
  }
}

if (await shouldRunRedis('copy-store')) {
  describe('copy-store: SQLite → Redis → Redis Cluster', () => {
    let dir: string
    let up: FakeUpstream
    let cluster: RedisCluster
    const prefix = `copy${crypto.randomUUID().replaceAll('-', '').slice(0, 10)}`
    const relays: TestRelay[] = []
    const keys: { id: string; key: string }[] = []
    let before: Awaited<ReturnType<typeof snapshot>>
    const env = () => ({ DATA_DIR: join(dir, 'data'), ENCRYPTION_KEY: TEST_ENCRYPTION_KEY })

    const relayOn = async (stores: Stores) => {
      const r = await startRelay({ upstream: up, listen: true, stores })
      relays.push(r)
      return r
    }
    const ask = (r: TestRelay, key: string, stream: boolean) => {
      const sdk = new Anthropic({ baseURL: `${r.url}/api`, apiKey: key, maxRetries: 0 })
      const body = {
        model: 'claude-sonnet-4-6',
        max_tokens: 32,
        messages: [{ role: 'user' as const, content: 'moving house' }],
      }
      return stream ? sdk.messages.stream(body).finalMessage() : sdk.messages.create(body)
    }

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'crs-copy-'))
      up = startFakeUpstream()
      cluster = await startRedisCluster()
      ensureDir(join(dir, 'data'))
      // The source: a relay on its SQLite file, used for a while.
      const r = await relayOn(createSqliteStores(openBunSqlite(join(dir, 'data/relay.db'))))
      const gid = (
        await r.admin('POST', '/admin/account-groups', { name: 'team', platform: 'claude' })
      ).json.data.id
      await r.createConsoleAccount('movers', { priority: 1 })
      await r.createConsoleAccount('spare', { priority: 2 })
      // The first answer of "movers" is a 429: it is rate limited for an hour, "spare" serves.
      up.script('movers', { kind: 'error', status: 429 })
      expect(gid).toBeString()
      keys.push(await r.createKey({ name: 'alice', tokenLimit: 1_000_000 }))
      keys.push(await r.createKey({ name: 'bob', concurrencyLimit: 3 }))
      await r.admin('PUT', '/admin/request-history/config', { maxRequestBodySize: 4096 })
      for (const [i, k] of keys.entries())
        for (let n = 0; n < 3; n++) await ask(r, k.key, (i + n) % 2 === 0)
      before = await snapshot(
        r,
        keys.map((k) => k.id),
      )
      await r.stop()
    }, 60_000)
    afterAll(async () => {
      for (const r of relays) await r.stop().catch(() => {})
      up?.stop()
      await cluster?.stop()
      await deletePrefix(prefix)
      rmSync(dir, { recursive: true, force: true })
    })

    test('the snapshot holds what a user would miss', () => {
      expect(before.keys).toHaveLength(2)
      expect(before.accounts).toHaveLength(2)
      expect(before.groups).toEqual(['team'])
      expect(before.history).toHaveLength(6)
      expect(before.audit.length).toBeGreaterThanOrEqual(6)
      expect(before.usage.length).toBeGreaterThan(20)
      expect(Object.keys(before.settings)).toEqual(['admin', 'history'])
      expect(before.states.map((st) => st.rateLimitedUntil > Date.now())).toContain(true)
    })

    test('SQLite → Redis: the same keys work, the same numbers show, and a second run changes nothing', async () => {
      const dry = await copy(['--to', REDIS_TEST_URL, '--to-prefix', prefix, '--dry-run'], env())
      expect(dry.report).toMatchObject({
        dryRun: true,
        keys: 2,
        history: 6,
        countersChanged: before.usage.length,
      })
      expect(dry.out).toContain('DRY RUN')
      const untouched = await createRedisStores({ url: REDIS_TEST_URL, prefix })
      expect(await untouched.keys.list()).toEqual([])
      await untouched.close()

      const first = await copy(['--to', REDIS_TEST_URL, '--to-prefix', prefix, '--yes'], env())
      expect(first.err).toBe('')
      expect(first.code).toBe(0)
      expect(first.report).toMatchObject({
        keys: 2,
        accounts: 2,
        groups: 1,
        history: 6,
        counters: before.usage.length,
        countersChanged: before.usage.length,
      })
      expect(first.out).toContain(`redis ${REDIS_TEST_URL} (prefix ${prefix})`)

      const again = await copy(['--to', REDIS_TEST_URL, '--to-prefix', prefix, '--yes'], env())
      expect(again.report).toMatchObject({ counters: before.usage.length, countersChanged: 0 })

      const r = await relayOn(await createRedisStores({ url: REDIS_TEST_URL, prefix }))
      expect(
        await snapshot(
          r,
          keys.map((k) => k.id),
        ),
      ).toEqual(before)
      // The old key authenticates, the account's secret decrypts (the fake upstream names the
      // account), and the rate-limited account is still avoided.
      const msg = await ask(r, keys[0]!.key, true)
      expect((msg.content[0] as { text: string }).text).toContain('spare')
    })

    test('Redis → Redis Cluster, configured like the service (REDIS_URL + REDIS_PREFIX)', async () => {
      // The Redis relay of the previous test served one more request; it stops before the copy.
      const redis = relays.at(-1)!
      const expected = await snapshot(
        redis,
        keys.map((k) => k.id),
      )
      expect(expected.history).toHaveLength(7)
      await redis.stop()
      const result = await copy(
        [
          '--to',
          `redis://${cluster.nodes[0]}`,
          '--to-cluster-nodes',
          cluster.nodes.slice(1).join(','),
          '--to-prefix',
          'moved',
          '--yes',
        ],
        { REDIS_URL: REDIS_TEST_URL, REDIS_PREFIX: prefix, ENCRYPTION_KEY: TEST_ENCRYPTION_KEY },
      )
      expect(result.err).toBe('')
      expect(result.code).toBe(0)
      const r = await relayOn(
        await createRedisStores({
          url: `redis://${cluster.nodes[0]}`,
          cluster: { nodes: [] },
          prefix: 'moved',
        }),
      )
      expect(
        await snapshot(
          r,
          keys.map((k) => k.id),
        ),
      ).toEqual(expected)
      const msg = await ask(r, keys[1]!.key, false)
      expect((msg.content[0] as { text: string }).text).toContain('spare')
    })
  })
}

test('counters are raised to the source value, never lowered', async () => {
  const [from, to] = [0, 1].map(() => createSqliteStores(openBunSqlite(':memory:')))
  const inc = (id: string, requests: number) => ({
    scope: 'key' as const,
    id,
    period: 'total',
    values: { requests },
    expiresAt: null,
  })
  await from!.usage.increment([inc('behind', 5), inc('ahead', 5)])
  // The target already counted on its own: "ahead" past the source, "behind" not yet.
  await to!.usage.increment([inc('behind', 3), inc('ahead', 8)])
  const report = await copyStores(from!, to!)
  expect(report).toMatchObject({ counters: 2, countersChanged: 1 })
  const [behind, ahead] = await to!.usage.get([
    { scope: 'key', id: 'behind', period: 'total' },
    { scope: 'key', id: 'ahead', period: 'total' },
  ])
  expect([behind?.requests, ahead?.requests]).toEqual([5, 8])
  await Promise.all([from!.close(), to!.close()])
})

describe('copy-store refuses what it cannot do', () => {
  const run = (argv: string[], env: Record<string, string> = {}) => copy(argv, env)

  test('bad arguments are named', () => {
    const bad: [string[], string][] = [
      [[], 'Missing --to'],
      [['--to', 'mysql://x'], '--to must be'],
      [['--to', 'sqlite:/x.db', '--to-cluster'], 'Redis target only'],
      [['--to', 'redis://x', '--to-prefix', 'a b'], '--to-prefix must be'],
      [['--to', 'redis://x', '--to-cluster-nodes', 'a:1,b'], 'Invalid Redis Cluster node "b"'],
      [['--to', 'redis://x', '--bogus'], 'Unknown option --bogus'],
    ]
    for (const [argv, message] of bad) expect(() => parseCopyArgs(argv)).toThrow(message)
    expect(parseCopyArgs(['--to=sqlite:./new.db', '--dry-run'])).toMatchObject({
      to: 'sqlite:./new.db',
      dryRun: true,
    } satisfies Partial<CopyArgs>)
  })

  test('no ENCRYPTION_KEY, the same store as target, a missing source, no --yes off a terminal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crs-copy-'))
    try {
      const base = { DATA_DIR: dir }
      const noKey = await run(['--to', 'redis://127.0.0.1:6379', '--yes'], base)
      expect(noKey.code).toBe(1)
      expect(noKey.err).toContain('ENCRYPTION_KEY')
      const withKey = { ...base, ENCRYPTION_KEY: TEST_ENCRYPTION_KEY }
      const same = await run(['--to', `sqlite:${dir}/relay.db`, '--yes'], withKey)
      expect(same.code).toBe(1)
      expect(same.err).toContain('is the configured store itself')
      const missing = await run(['--to', 'redis://127.0.0.1:6379', '--yes'], withKey)
      expect(missing.code).toBe(1)
      expect(missing.err).toContain('does not exist')
      const sameRedis = await run(['--to', 'redis://127.0.0.1:6379/0', '--yes'], {
        ...withKey,
        REDIS_URL: 'redis://127.0.0.1:6379',
      })
      expect(sameRedis.err).toContain('is the configured store itself')
      const unconfirmed = await run(['--to', 'redis://127.0.0.1:6379', '--to-prefix', 'other'], {
        ...withKey,
        REDIS_URL: 'redis://127.0.0.1:6379',
      })
      expect(unconfirmed.code).toBe(2)
      expect(unconfirmed.err).toContain('pass --yes')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
