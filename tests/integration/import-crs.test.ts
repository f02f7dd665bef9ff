/**
 * The claude-relay-service importer end to end: an old-format store is written into a dedicated
 * redis-server (secrets encrypted exactly as the old system did), imported into SQLite and into
 * Redis, and then used: old keys authenticate and relay with the old accounts' credentials, the
 * old admin password signs in, totals and history match, a second run changes nothing, a delta
 * is picked up, the dry run writes nothing and the source is never modified.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createCipheriv, createHash, randomBytes, scryptSync } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Redis from 'ioredis'
import type { AccountSecrets } from '../../src/accounts/model.ts'
import type { AdminDoc } from '../../src/admin/auth-service.ts'
import { type ImportArgs, runImport } from '../../src/cli/import-crs.ts'
import { createSecretBox } from '../../src/core/crypto.ts'
import { periodsOf } from '../../src/core/time.ts'
import { type ImportReport, importFromOld } from '../../src/migrate/import.ts'
import {
  bunPasswordHasher,
  ensureDir,
  localSecretFiles,
  openBunSqlite,
} from '../../src/runtime/bun.ts'
import { connectOldRedis } from '../../src/storage/old-crs/redis-reader.ts'
import { createRedisStores } from '../../src/storage/redis/create.ts'
import { createSqliteStores } from '../../src/storage/sqlite/create.ts'
import type { Stores } from '../../src/storage/stores.ts'
import bundledPrices from '../../src/usage/pricing.json' with { type: 'json' }
import { createPricing, type PriceTable } from '../../src/usage/pricing.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { freePort } from '../helpers/net.ts'
import { deletePrefix, REDIS_TEST_URL, shouldRunRedis } from '../helpers/redis.ts'
import { ADMIN, startRelay } from '../helpers/relay.ts'

const ENC = 'old-system-encryption-key-0123456789'
const TZ = 8

// --- the old system's encryption, written from claude-protocol.md §3.3 ---------------------------
function oldEncrypt(text: string, salt: 'salt' | 'claude-console-salt'): string {
  const key = scryptSync(ENC, salt, 32, { N: 16384, r: 8, p: 1 })
  const iv = randomBytes(16)
  const c = createCipheriv('aes-256-cbc', key, iv)
  return `${iv.toString('hex')}:${Buffer.concat([c.update(text, 'utf8'), c.final()]).toString('hex')}`
}
/** Node's removed createCipher('aes-256-cbc', ENC): EVP_BytesToKey(MD5), hex output. */
function oldLegacyEncrypt(text: string): string {
  let prev = Buffer.alloc(0)
  const parts: Buffer[] = []
  while (Buffer.concat(parts).length < 48) {
    prev = createHash('md5')
      .update(Buffer.concat([prev, Buffer.from(ENC)]))
      .digest()
    parts.push(prev)
  }
  const all = Buffer.concat(parts)
  const c = createCipheriv('aes-256-cbc', all.subarray(0, 32), all.subarray(32, 48))
  return Buffer.concat([c.update(text, 'utf8'), c.final()]).toString('hex')
}
const keyHash = (plain: string) =>
  createHash('sha256')
    .update(plain + ENC)
    .digest('hex')
const plainKey = () => `cr_${randomBytes(32).toString('hex')}`

// --- fixture ids and values ------------------------------------------------------------------------
const now = Date.now()
const p = periodsOf(now, TZ)
const [day, hourHH] = [p.day, p.hour.slice(11)]
const K = {
  active: { id: 'key-active', plain: plainKey() },
  group: { id: 'key-group', plain: plainKey() },
  disabled: { id: 'key-disabled', plain: plainKey() },
  expired: { id: 'key-expired', plain: plainKey() },
  deleted: { id: 'key-deleted', plain: plainKey() },
  activation: { id: 'key-activation', plain: plainKey() },
}
const OAUTH_A = 'acct-oauth-a'
const OAUTH_B = 'acct-oauth-legacy'
const CONSOLE_C = 'acct-console-c'
/** A console account whose URL the outbound URL policy refuses (cloud metadata). */
const CONSOLE_D = 'acct-console-metadata'
const DATED = 'claude-sonnet-4-5-20250929'
const CANONICAL = 'claude-sonnet-4-5'
/** Cost of the `daily` fixture hash on MODEL at base rates: 100×3000 + 50×15000 + 30×3750 + 20×300. */
const DAILY_NANOS = 1_168_500
const GROUP = 'grp-1'
const ACCESS_A = 'sk-ant-oat01-old-access-token-A'
const REFRESH_A = 'sk-ant-ort01-old-refresh-token-A'
const CONSOLE_KEY = 'sk-ant-api03-old-console-key'
const MODEL = 'claude-sonnet-4-6'
const OLD_ADMIN = { username: 'oldadmin', password: 'old-admin-password-42' }

async function writeFixture(r: Redis, upstreamUrl: string): Promise<void> {
  const iso = (ms: number) => new Date(ms).toISOString()
  const baseKey = (
    id: string,
    name: string,
    plain: string,
    extra: Record<string, string> = {},
  ) => ({
    id,
    name,
    description: `old ${name}`,
    apiKey: keyHash(plain),
    tokenLimit: '0',
    concurrencyLimit: '3',
    rateLimitWindow: '60',
    rateLimitRequests: '100',
    rateLimitCost: '2.5',
    isActive: 'true',
    claudeAccountId: '',
    claudeConsoleAccountId: '',
    permissions: 'all',
    enableModelRestriction: 'false',
    restrictedModels: '[]',
    enableClientRestriction: 'false',
    allowedClients: '[]',
    dailyCostLimit: '10',
    totalCostLimit: '',
    weeklyOpusCostLimit: '0',
    tags: '["team-a","old"]',
    expirationMode: 'fixed',
    expiresAt: '',
    createdAt: iso(now - 40 * 86_400_000),
    lastUsedAt: iso(now - 3_600_000),
    isDeleted: 'false',
    ...extra,
  })
  await r.hset(
    `apikey:${K.active.id}`,
    baseKey(K.active.id, 'active', K.active.plain, {
      claudeAccountId: OAUTH_A,
      enableModelRestriction: 'true',
      restrictedModels: '["claude-opus-4-1"]',
      allowedClients: '["claude_code"]',
    }),
  )
  await r.hset(
    `apikey:${K.group.id}`,
    baseKey(K.group.id, 'group', K.group.plain, { claudeAccountId: `group:${GROUP}` }),
  )
  await r.hset(
    `apikey:${K.disabled.id}`,
    baseKey(K.disabled.id, 'disabled', K.disabled.plain, { isActive: 'false' }),
  )
  await r.hset(
    `apikey:${K.expired.id}`,
    baseKey(K.expired.id, 'expired', K.expired.plain, { expiresAt: iso(now - 86_400_000) }),
  )
  await r.hset(
    `apikey:${K.deleted.id}`,
    baseKey(K.deleted.id, 'deleted', K.deleted.plain, {
      isActive: 'false',
      isDeleted: 'true',
      deletedAt: iso(now - 86_400_000),
      deletedBy: 'admin',
    }),
  )
  await r.hset(
    `apikey:${K.activation.id}`,
    baseKey(K.activation.id, 'activation', K.activation.plain, {
      expirationMode: 'activation',
      activationDays: '7',
      activationUnit: 'days',
      isActivated: 'false',
    }),
  )
  const hashMap: Record<string, string> = { [keyHash('cr_gone')]: 'key-that-was-deleted' }
  for (const k of Object.values(K)) hashMap[keyHash(k.plain)] = k.id
  await r.hset('apikey:hash_map', hashMap)
  for (const k of Object.values(K)) await r.expire(`apikey:${k.id}`, 365 * 86_400)

  await r.hset(`claude:account:${OAUTH_A}`, {
    id: OAUTH_A,
    name: 'Old OAuth A',
    description: 'max plan',
    email: oldEncrypt('a@example.com', 'salt'),
    accessToken: oldEncrypt(ACCESS_A, 'salt'),
    refreshToken: oldEncrypt(REFRESH_A, 'salt'),
    claudeAiOauth: oldEncrypt(
      JSON.stringify({
        accessToken: ACCESS_A,
        refreshToken: REFRESH_A,
        expiresAt: now + 3_600_000,
      }),
      'salt',
    ),
    expiresAt: String(now + 3_600_000),
    scopes: 'user:inference user:profile',
    proxy: '',
    isActive: 'true',
    accountType: 'dedicated',
    platform: 'claude',
    priority: '10',
    schedulable: 'true',
    status: 'active',
    subscriptionInfo: JSON.stringify({ hasClaudeMax: true, accountType: 'claude_max' }),
    createdAt: iso(now - 50 * 86_400_000),
    lastUsedAt: iso(now - 60_000),
  })
  await r.hset(`claude:account:${OAUTH_B}`, {
    id: OAUTH_B,
    name: 'Legacy OAuth B',
    accessToken: oldLegacyEncrypt('legacy-access-B'),
    refreshToken: oldLegacyEncrypt('legacy-refresh-B'),
    expiresAt: String(now + 3_600_000),
    scopes: '["user:inference"]',
    proxy: JSON.stringify({
      type: 'socks5',
      host: '10.9.8.7',
      port: 1080,
      username: 'puser',
      password: 'proxy-secret',
    }),
    isActive: 'false',
    accountType: 'shared',
    priority: '',
    schedulable: 'false',
    status: 'unauthorized',
    createdAt: iso(now - 60 * 86_400_000),
  })
  await r.hset(`claude_console_account:${CONSOLE_C}`, {
    id: CONSOLE_C,
    name: 'Old console C',
    apiUrl: upstreamUrl,
    apiKey: oldEncrypt(CONSOLE_KEY, 'claude-console-salt'),
    supportedModels: JSON.stringify({ [MODEL]: MODEL }),
    userAgent: 'claude-cli/1.0.69 (external, cli)',
    maxConcurrentTasks: '2',
    priority: '20',
    isActive: 'true',
    schedulable: 'true',
    accountType: 'group',
    proxy: JSON.stringify({ type: 'http', host: 'proxy.example', port: 'eighty' }),
    createdAt: iso(now - 30 * 86_400_000),
  })
  await r.hset(`claude_console_account:${CONSOLE_D}`, {
    id: CONSOLE_D,
    name: 'Metadata console',
    apiUrl: 'http://169.254.169.254/latest',
    apiKey: oldEncrypt('sk-ant-api03-metadata', 'claude-console-salt'),
    isActive: 'true',
    schedulable: 'true',
    accountType: 'shared',
    createdAt: iso(now - 30 * 86_400_000),
  })
  await r.sadd('shared_claude_console_accounts', CONSOLE_C)
  await r.sadd('account_groups', GROUP, 'grp-gemini')
  await r.hset(`account_group:${GROUP}`, {
    id: GROUP,
    name: 'Console group',
    platform: 'claude',
    description: 'consoles',
    createdAt: iso(now - 30 * 86_400_000),
  })
  await r.sadd(`account_group_members:${GROUP}`, CONSOLE_C)
  await r.hset('account_group:grp-gemini', { id: 'grp-gemini', name: 'G', platform: 'gemini' })
  await r.hset('gemini_account:g1', { id: 'g1', name: 'gemini' })

  // usage counters
  const k = K.active.id
  await r.hset(`usage:${k}`, {
    totalTokens: '1500',
    totalInputTokens: '1000',
    totalOutputTokens: '500',
    totalCacheCreateTokens: '300',
    totalCacheReadTokens: '200',
    totalAllTokens: '2000',
    totalEphemeral5mTokens: '100',
    totalEphemeral1hTokens: '150',
    totalRequests: '10',
  })
  await r.hset(`usage:${K.group.id}`, { totalInputTokens: '10', totalRequests: '2' })
  const daily = {
    tokens: '150',
    inputTokens: '100',
    outputTokens: '50',
    cacheCreateTokens: '30',
    cacheReadTokens: '20',
    allTokens: '200',
    requests: '3',
  }
  await r.hset(`usage:daily:${k}:${day}`, daily)
  await r.hset(`usage:monthly:${k}:${p.month}`, daily)
  await r.hset(`usage:hourly:${k}:${day}:${hourHH}`, daily)
  await r.hset(`usage:daily:${k}:2020-01-01`, daily) // older than the retention
  await r.hset(`usage:${k}:model:daily:${MODEL}:${day}`, daily)
  await r.hset(`usage:${k}:model:hourly:${MODEL}:${day}:${hourHH}`, daily)
  await r.hset(`usage:model:daily:${MODEL}:${day}`, daily)
  await r.hset(`account_usage:${OAUTH_A}`, {
    totalInputTokens: '1000',
    totalOutputTokens: '500',
    totalRequests: '10',
  })
  await r.hset(`account_usage:daily:${OAUTH_A}:${day}`, daily)
  await r.hset(`account_usage:model:daily:${OAUTH_A}:${MODEL}:${day}`, daily)
  await r.hset(`account_usage:model:monthly:${OAUTH_A}:${MODEL}:${p.month}`, daily)
  // The old system counted models under the name the client sent, dated ones included.
  await r.hset(`usage:${k}:model:daily:${DATED}:${day}`, daily)
  await r.hset(`usage:${k}:model:daily:${CANONICAL}:${day}`, daily)
  await r.hset(`usage:model:daily:${DATED}:${day}`, daily)
  await r.set(`usage:cost:daily:${k}:${day}`, '0.123456789')
  await r.set(`usage:cost:monthly:${k}:${p.month}`, '0.5')
  await r.set(`usage:cost:hourly:${k}:${day}:${hourHH}`, '0.1')
  await r.set(`usage:cost:total:${k}`, '1.5')
  await r.set(`usage:opus:weekly:${k}:${p.week}`, '0.75')
  await r.set(`usage:opus:total:${k}`, '0.75')
  await r.rpush(`usage:records:${k}`, JSON.stringify({ model: MODEL }))

  // history, with the old duplicated index entries and a stale pending index
  const hist = (id: string, status: string, extra: Record<string, string> = {}) =>
    r.hset(`request_history:${id}`, {
      requestId: id,
      timestamp: iso(now - 600_000),
      apiKeyId: k,
      apiKeyName: 'active',
      model: MODEL,
      status,
      requestBody: JSON.stringify({ model: MODEL, stream: true, messages: [] }),
      headers: JSON.stringify({ 'user-agent': 'claude-cli/2.0.1', 'x-api-key': '[REDACTED]' }),
      startTime: String(now - 600_000),
      ...extra,
    })
  await hist('h-success', 'success', {
    endTime: String(now - 599_000),
    duration: '1000',
    statusCode: '200',
    inputTokens: '11',
    outputTokens: '22',
    cacheCreateTokens: '3',
    cacheReadTokens: '4',
    totalTokens: '40',
    responseBody: JSON.stringify({
      type: 'stream_complete',
      content: [{ type: 'text', text: 'hi' }],
    }),
  })
  await hist('h-error', 'error', { statusCode: '529', error: 'Overloaded', duration: '50' })
  await hist('h-pending', 'pending')
  const d = new Date(now).toISOString().slice(0, 10)
  await r.lpush(`request_index:date:${d}`, 'h-success', 'h-success', 'h-error', 'h-pending')
  await r.lpush(`request_index:status:pending:${d}`, 'h-success', 'h-error', 'h-pending')
  await r.lpush(`request_index:api_key:${k}:${d}`, 'h-success', 'h-success')

  await r.hset('session:admin_credentials', {
    username: OLD_ADMIN.username,
    passwordHash: await Bun.password.hash(OLD_ADMIN.password, { algorithm: 'bcrypt', cost: 4 }),
    createdAt: iso(now - 90 * 86_400_000),
    lastLogin: '',
  })
  await r.hset('session:0123456789abcdef0123456789abcdef', { username: 'oldadmin', loginTime: '1' })
  await r.zadd(`concurrency:${k}`, now + 60_000, 'lease-1')
}

/** Every key of the source with its DUMP, for "unmodified" checks. */
async function snapshot(r: Redis): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  let cursor = '0'
  do {
    const [next, keys] = await r.scan(cursor, 'COUNT', 500)
    cursor = next
    for (const k of keys) out.set(k, ((await r.dumpBuffer(k)) ?? Buffer.alloc(0)).toString('hex'))
  } while (cursor !== '0')
  return out
}

// --- the test ------------------------------------------------------------------------------------
let redisProc: ReturnType<typeof Bun.spawn>
let sourceUrl = ''
let source: Redis
let up: FakeUpstream

beforeAll(async () => {
  const port = await freePort()
  redisProc = Bun.spawn(
    [
      'redis-server',
      '--port',
      String(port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
    ],
    { stdout: 'ignore', stderr: 'ignore' },
  )
  sourceUrl = `redis://127.0.0.1:${port}/0`
  for (let i = 0; ; i++) {
    const probe = new Redis(sourceUrl, { lazyConnect: true, retryStrategy: () => null })
    probe.on('error', () => {})
    try {
      await probe.connect()
      await probe.ping()
      source = probe
      break
    } catch {
      probe.disconnect()
      if (i > 100) throw new Error('redis-server did not start')
      await Bun.sleep(50)
    }
  }
  up = startFakeUpstream()
  await writeFixture(source, up.url)
})

afterAll(async () => {
  source?.disconnect()
  up?.stop()
  redisProc?.kill()
  await redisProc?.exited
})

interface Target {
  env: Record<string, string>
  open(): Promise<Stores>
  cleanup(): Promise<void>
  /** True when nothing at all was written. */
  empty(): Promise<boolean>
}

const targets: [string, () => Promise<Target>][] = [
  [
    'sqlite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'crs-import-'))
      return {
        env: { DATA_DIR: dir },
        open: async () => createSqliteStores(openBunSqlite(join(dir, 'relay.db'))),
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
        empty: async () =>
          !existsSync(join(dir, 'relay.db')) && !existsSync(join(dir, 'secrets.json')),
      }
    },
  ],
]
if (await shouldRunRedis('import-crs into redis')) {
  targets.push([
    'redis',
    async () => {
      const prefix = `imp-${randomBytes(4).toString('hex')}`
      return {
        env: { REDIS_URL: REDIS_TEST_URL, REDIS_PREFIX: prefix },
        open: () => createRedisStores({ url: REDIS_TEST_URL, prefix }),
        cleanup: () => deletePrefix(prefix),
        empty: async () => {
          const r = new Redis(REDIS_TEST_URL)
          try {
            let cursor = '0'
            do {
              const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 10_000)
              if (keys.length > 0) return false
              cursor = next
            } while (cursor !== '0')
            return true
          } finally {
            r.disconnect()
          }
        },
      }
    },
  ])
}

for (const [backend, makeTarget] of targets) {
  describe(`import-crs into ${backend}`, () => {
    let target: Target
    const stderr: string[] = []
    const run = async (extra: Partial<ImportArgs> = {}) => {
      const out: string[] = []
      const res = await runImport({
        args: {
          from: sourceUrl,
          dryRun: false,
          prefixOld: '',
          yes: true,
          initJson: null,
          help: false,
          ...extra,
        },
        env: {
          ...target.env,
          ENCRYPTION_KEY: ENC,
          // the same environment the relay runs with: its ADMIN_PASSWORD must not reset the import
          ADMIN_PASSWORD: ADMIN.password,
          LOG_LEVEL: 'error',
          // CONSOLE_C points at the fake upstream on loopback, as the relay under test allows.
          UPSTREAM_ALLOW_HOSTS: '127.0.0.1',
        },
        runtime: {
          openSqlite: openBunSqlite,
          secretFiles: localSecretFiles,
          ensureDir,
          fileExists: existsSync,
          readFile: () => '',
          hasher: bunPasswordHasher,
        },
        out: (l) => out.push(l),
        err: { write: (t) => void stderr.push(t), isTTY: false },
      })
      expect(res.code).toBe(0)
      return { report: res.report as ImportReport, out }
    }
    const withStores = async <T>(fn: (s: Stores) => Promise<T>): Promise<T> => {
      const s = await target.open()
      try {
        return await fn(s)
      } finally {
        await s.close()
      }
    }
    const counters = (s: Stores) =>
      s.usage.get([
        { scope: 'key', id: K.active.id, period: 'total' },
        { scope: 'key', id: K.active.id, period: `d:${day}` },
        { scope: 'key', id: K.active.id, period: `h:${p.hour}` },
        { scope: 'global', id: 'all', period: 'total' },
        { scope: 'key', id: K.active.id, period: `opus-w:${p.week}` },
        { scope: 'key-model', id: K.active.id, model: MODEL, period: `d:${day}` },
        { scope: 'account', id: OAUTH_A, period: 'total' },
        { scope: 'model', id: MODEL, period: `d:${day}` },
        { scope: 'account-model', id: OAUTH_A, model: MODEL, period: `m:${p.month}` },
        { scope: 'key', id: K.active.id, period: 'd:2020-01-01' },
        { scope: 'account', id: OAUTH_A, period: `d:${day}` },
        { scope: 'key-model', id: K.active.id, model: CANONICAL, period: `d:${day}` },
        { scope: 'key-model', id: K.active.id, model: DATED, period: `d:${day}` },
        { scope: 'model', id: CANONICAL, period: `d:${day}` },
        { scope: 'model', id: DATED, period: `d:${day}` },
      ])
    let before: Map<string, string>

    beforeAll(async () => {
      target = await makeTarget()
      before = await snapshot(source)
    })
    // A shared Redis can hold many other keys: the SCAN-based cleanup may take a while.
    afterAll(async () => {
      await target.cleanup()
    }, 60_000)

    test('a dry run reports everything and writes nothing', async () => {
      const { report, out } = await run({ dryRun: true })
      expect(report.dryRun).toBe(true)
      expect(report.kinds.apiKeys.imported).toBe(6)
      expect(report.kinds.accounts.imported).toBe(4)
      expect(report.kinds.history.imported).toBe(3)
      expect(out.join('\n')).toContain('DRY RUN')
      expect(await target.empty()).toBe(true)
    })

    test('the first run imports keys, accounts, groups, counters, history and the admin', async () => {
      const { report, out } = await run()
      const k = report.kinds
      expect(k.apiKeys).toEqual({ imported: 6, updated: 0, unchanged: 0, skipped: {} })
      expect(k.accounts.imported).toBe(4)
      expect(k.accounts.skipped).toEqual({
        'gemini: no access or refresh token (neither field nor geminiOauth)': 1,
      })
      expect(k.groups.imported).toBe(2)
      expect(k.groups.skipped).toEqual({})
      expect(k.history).toEqual({ imported: 3, updated: 0, unchanged: 0, skipped: {} })
      expect(k.admin.imported).toBe(1)
      // the old day and the global day derived from it
      expect(k.counters.skipped['older than TOKEN_USAGE_RETENTION']).toBe(2)
      expect(k.counters.skipped['per-model hourly counters are not kept by this relay']).toBe(1)
      expect(k.counters.imported).toBeGreaterThan(10)
      const text = out.join('\n')
      expect(text).toContain('history records were still pending')
      expect(text).toContain('apikey:hash_map entries point at keys that no longer exist')
      expect(report.ignored.request_index).toBe(3)
      // The summary says what was priced and renamed, and which URLs the policy refuses.
      expect(text).toContain('costs priced at import')
      expect(text).toContain('renamed to the model names new requests are counted under')
      expect(report.refusedUrls).toEqual([
        {
          accountId: CONSOLE_D,
          name: 'Metadata console',
          field: 'apiUrl',
          value: 'http://169.254.169.254/latest',
          reason: expect.stringContaining('refused by the outbound URL policy'),
        },
      ])
      expect(text).toContain('account URLs refused by the outbound URL policy')
      expect(text).toContain(`Metadata console (${CONSOLE_D}) apiUrl http://169.254.169.254/latest`)
    })

    test('an account whose URL the policy refuses is imported as not schedulable', async () => {
      await withStores(async (s) => {
        expect(await s.accounts.get(CONSOLE_D)).toMatchObject({
          apiUrl: 'http://169.254.169.254/latest',
          schedulable: false,
        })
        expect((await s.accounts.get(CONSOLE_C))?.schedulable).toBe(true)
      })
    })

    test('keys, accounts and groups carry the old fields; secrets decrypt', async () => {
      await withStores(async (s) => {
        const active = await s.keys.findByHash(keyHash(K.active.plain))
        expect(active).toMatchObject({
          id: K.active.id,
          name: 'active',
          isActive: true,
          concurrencyLimit: 3,
          rateLimitWindow: 60,
          rateLimitRequests: 100,
          rateLimitCost: 2.5,
          dailyCostLimit: 10,
          totalCostLimit: 0,
          tags: ['team-a', 'old'],
          enableModelRestriction: true,
          modelRestrictionMode: 'deny',
          restrictedModels: ['claude-opus-4-1'],
          allowedClients: ['claude_code'],
          claudeAccountId: OAUTH_A,
        })
        expect((await s.keys.get(K.group.id))?.claudeAccountId).toBe(`group:${GROUP}`)
        expect((await s.keys.get(K.disabled.id))?.isActive).toBe(false)
        expect(await s.keys.get(K.deleted.id)).toMatchObject({ isDeleted: true, isActive: false })
        expect(await s.keys.get(K.activation.id)).toMatchObject({
          expirationMode: 'activation',
          activationDays: 7,
          isActivated: false,
        })
        expect(Date.parse((await s.keys.get(K.expired.id))?.expiresAt ?? '')).toBeLessThan(now)

        const box = createSecretBox(ENC)
        const secretsOf = async (id: string) =>
          JSON.parse(await box.decrypt((await s.accounts.get(id))?.secret ?? '')) as AccountSecrets
        const a = await s.accounts.get(OAUTH_A)
        expect(a).toMatchObject({
          platform: 'claude-oauth',
          priority: 10,
          accountType: 'dedicated',
          scopes: ['user:inference', 'user:profile'],
          tokenExpiresAt: now + 3_600_000,
          subscriptionInfo: { hasClaudeMax: true, accountType: 'claude_max' },
        })
        expect(await secretsOf(OAUTH_A)).toEqual({ accessToken: ACCESS_A, refreshToken: REFRESH_A })
        const b = await s.accounts.get(OAUTH_B)
        expect(b).toMatchObject({ isActive: false, schedulable: false, priority: 50 })
        expect(b?.proxy).toEqual({
          type: 'socks5',
          host: '10.9.8.7',
          port: 1080,
          username: 'puser',
        })
        expect(await secretsOf(OAUTH_B)).toEqual({
          accessToken: 'legacy-access-B',
          refreshToken: 'legacy-refresh-B',
          proxyPassword: 'proxy-secret',
        })
        expect((await s.accounts.getState(OAUTH_B)).status).toBe('unauthorized')
        const c = await s.accounts.get(CONSOLE_C)
        expect(c).toMatchObject({
          platform: 'claude-console',
          apiUrl: up.url,
          maxConcurrency: 2,
          supportedModels: { [MODEL]: MODEL },
          groupIds: [GROUP],
          proxy: null,
        })
        expect(await secretsOf(CONSOLE_C)).toEqual({ apiKey: CONSOLE_KEY })
        expect(await s.accounts.getGroup(GROUP)).toMatchObject({ name: 'Console group' })
      })
    })

    test('counters match the source (5m/1h split, cost in nano-dollars, global = sum of keys)', async () => {
      await withStores(async (s) => {
        const [
          total,
          today,
          hour,
          global,
          opus,
          keyModel,
          account,
          model,
          accModel,
          old,
          accountDay,
          canonicalKeyModel,
          datedKeyModel,
          canonicalModel,
          datedModel,
        ] = await counters(s)
        expect(total).toMatchObject({
          requests: 10,
          inputTokens: 1000,
          outputTokens: 500,
          cacheCreate5mTokens: 150,
          cacheCreate1hTokens: 150,
          cacheReadTokens: 200,
          costNanos: 1_500_000_000,
        })
        expect(today).toMatchObject({
          requests: 3,
          inputTokens: 100,
          cacheCreate5mTokens: 30,
          costNanos: 123_456_789,
        })
        expect(hour).toMatchObject({ requests: 3, costNanos: 100_000_000 })
        expect(global).toMatchObject({ requests: 12, inputTokens: 1010, costNanos: 1_500_000_000 })
        expect(opus?.costNanos).toBe(750_000_000)
        // Per-model and per-account counters carry no cost in the old store: priced at import.
        expect(keyModel).toMatchObject({ requests: 3, costNanos: DAILY_NANOS })
        expect(model).toMatchObject({ requests: 3, costNanos: DAILY_NANOS })
        expect(accModel).toMatchObject({ requests: 3, costNanos: DAILY_NANOS })
        expect(accountDay).toMatchObject({ requests: 3, costNanos: DAILY_NANOS })
        // The lifetime account row: the sum of its months' per-model costs.
        expect(account).toMatchObject({ requests: 10, inputTokens: 1000, costNanos: DAILY_NANOS })
        expect(old?.requests).toBe(0)
        // Dated and undated names of one model are one row, under the name new traffic uses.
        expect(canonicalKeyModel).toMatchObject({ requests: 6, costNanos: 2 * DAILY_NANOS })
        expect(datedKeyModel?.requests).toBe(0)
        expect(canonicalModel).toMatchObject({ requests: 3, costNanos: DAILY_NANOS })
        expect(datedModel?.requests).toBe(0)
      })
    })

    test('history records match the source: deduplicated, pending → error', async () => {
      await withStores(async (s) => {
        const { items, total } = await s.history.query({}, { limit: 50, offset: 0 })
        expect(total).toBe(3)
        expect(new Set(items.map((i) => i.id))).toEqual(
          new Set(['h-success', 'h-error', 'h-pending']),
        )
        const ok = await s.history.get('h-success')
        expect(ok).toMatchObject({
          outcome: 'success',
          status: 200,
          durationMs: 1000,
          inputTokens: 11,
          outputTokens: 22,
          cacheCreate5mTokens: 3,
          cacheReadTokens: 4,
          // Priced per request from its tokens: 11×3000 + 22×15000 + 3×3750 + 4×300.
          costNanos: 375_450,
          stream: true,
          keyId: K.active.id,
          userAgent: 'claude-cli/2.0.1',
        })
        expect(JSON.parse(ok?.responseBody ?? '{}').type).toBe('stream_complete')
        expect(await s.history.get('h-error')).toMatchObject({
          outcome: 'error',
          status: 529,
          errorMessage: 'Overloaded',
        })
        expect(await s.history.get('h-pending')).toMatchObject({
          outcome: 'error',
          errorMessage: 'imported while pending',
        })
        const admin = (await s.settings.get('admin')) as AdminDoc
        expect(admin.username).toBe(OLD_ADMIN.username)
        expect(admin.passwordHash.startsWith('$2')).toBe(true)
        expect(admin.sessionEpoch).toBe(1)
      })
    })

    test('a second run changes nothing and the source is unmodified', async () => {
      const firstCounters = await withStores(counters)
      const { report } = await run()
      for (const [kind, r] of Object.entries(report.kinds)) {
        expect({ kind, imported: r.imported, updated: r.updated }).toEqual({
          kind,
          imported: 0,
          updated: 0,
        })
      }
      expect(report.kinds.apiKeys.unchanged).toBe(6)
      expect(report.kinds.history.unchanged).toBe(3)
      expect(await withStores(counters)).toEqual(firstCounters)
      const after = await snapshot(source)
      expect(after.size).toBe(before.size)
      expect(after).toEqual(before)
    })

    test('a delta written to the old store after the import is picked up', async () => {
      await source.hincrby(`usage:${K.active.id}`, 'totalRequests', 5)
      await source.hincrby(`usage:${K.active.id}`, 'totalInputTokens', 100)
      await source.incrbyfloat(`usage:cost:total:${K.active.id}`, 0.25)
      await source.hset(`apikey:${K.expired.id}`, 'name', 'renamed in the old system')
      await source.hset('request_history:h-new', {
        requestId: 'h-new',
        startTime: String(now),
        status: 'success',
        statusCode: '200',
        apiKeyId: K.active.id,
        model: MODEL,
      })
      const snap = await snapshot(source)
      const { report } = await run()
      expect(report.kinds.apiKeys.updated).toBe(1)
      expect(report.kinds.history.imported).toBe(1)
      expect(report.kinds.counters.updated).toBe(2) // the key's and the global lifetime counter
      await withStores(async (s) => {
        const [total, , , global] = await counters(s)
        expect(total).toMatchObject({ requests: 15, inputTokens: 1100, costNanos: 1_750_000_000 })
        expect(global).toMatchObject({ requests: 17, costNanos: 1_750_000_000 })
        expect((await s.keys.get(K.expired.id))?.name).toBe('renamed in the old system')
        expect((await s.history.size()).count).toBe(4)
      })
      expect(await snapshot(source)).toEqual(snap)
      // undo the fixture change for the next backend
      await source.hincrby(`usage:${K.active.id}`, 'totalRequests', -5)
      await source.hincrby(`usage:${K.active.id}`, 'totalInputTokens', -100)
      await source.set(`usage:cost:total:${K.active.id}`, '1.5')
      await source.hset(`apikey:${K.expired.id}`, 'name', 'expired')
      await source.del('request_history:h-new')
    })

    test('old keys relay through the imported accounts; the old admin password signs in', async () => {
      const stores = await target.open()
      const relay = await startRelay({ upstream: up, stores, encryptionKey: ENC })
      try {
        const ask = (key: string, model = MODEL) =>
          relay.handle(
            new Request('http://localhost/api/v1/messages', {
              method: 'POST',
              headers: {
                'x-api-key': key,
                'content-type': 'application/json',
                'user-agent': 'claude-cli/2.0.1 (external, cli)',
              },
              body: JSON.stringify({
                model,
                max_tokens: 16,
                messages: [{ role: 'user', content: 'hi' }],
              }),
            }),
          )
        up.received.length = 0
        const ok = await ask(K.active.plain)
        expect(ok.status).toBe(200)
        expect(up.received.at(-1)?.headers.authorization).toBe(`Bearer ${ACCESS_A}`)
        const viaGroup = await ask(K.group.plain)
        expect(viaGroup.status).toBe(200)
        expect(up.received.at(-1)?.headers['x-api-key']).toBe(CONSOLE_KEY)
        expect((await ask(K.disabled.plain)).status).toBe(401)
        expect((await ask(K.expired.plain)).status).toBe(401)
        expect((await ask(K.deleted.plain)).status).toBe(401)
        expect((await ask(K.active.plain, 'claude-opus-4-1')).status).toBe(403)
        // New traffic on a dated name lands in the imported row of that model, not a second one.
        const dated = await ask(K.active.plain, DATED)
        expect(dated.status).toBe(200)
        await dated.text()
        await relay.settle()
        await relay.relay.services.usage.flush()
        const [canonicalRow, datedRow] = await stores.usage.get([
          { scope: 'key-model', id: K.active.id, model: CANONICAL, period: `d:${day}` },
          { scope: 'key-model', id: K.active.id, model: DATED, period: `d:${day}` },
        ])
        expect(canonicalRow?.requests).toBe(7)
        expect(datedRow?.requests).toBe(0)
        const login = await relay.handle(
          new Request('http://localhost/web/auth/login', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(OLD_ADMIN),
          }),
        )
        expect(login.status).toBe(200)
        expect(((await login.json()) as { token?: string }).token).toBeString()
      } finally {
        await relay.stop()
      }
    })
  })
}

describe('import-crs after an import that kept dated model names', () => {
  test('a new run moves those counters to the names new traffic uses, once', async () => {
    const stores = createSqliteStores(openBunSqlite(':memory:'))
    const old = await connectOldRedis(sourceUrl)
    const base = {
      old,
      oldPrefix: '',
      source: 'earlier-import',
      stores,
      encryptionKey: ENC,
      box: createSecretBox(ENC),
      hasher: bunPasswordHasher,
      tzOffsetHours: TZ,
      retentionMs: 30 * 86_400_000,
      dryRun: false,
      adminEnvDigest: null,
    }
    const rows = () =>
      stores.usage.get([
        { scope: 'key-model', id: K.active.id, model: DATED, period: `d:${day}` },
        { scope: 'key-model', id: K.active.id, model: CANONICAL, period: `d:${day}` },
        { scope: 'model', id: DATED, period: `d:${day}` },
        { scope: 'model', id: CANONICAL, period: `d:${day}` },
      ])
    try {
      // As earlier versions imported: no price table, names as the old system kept them.
      await importFromOld(base)
      const [dated0, canonical0] = await rows()
      expect(dated0).toMatchObject({ requests: 3, costNanos: 0 })
      expect(canonical0?.requests).toBe(3)
      const pricing = createPricing({ bundled: bundledPrices as PriceTable })
      const report = await importFromOld({ ...base, pricing })
      expect(report.notes.join('\n')).toContain('moved to the new names')
      const after = await rows()
      const [dated, canonical, datedModel, canonicalModel] = after
      expect(dated).toMatchObject({ requests: 0, inputTokens: 0, costNanos: 0 })
      expect(canonical).toMatchObject({ requests: 6, costNanos: 2 * DAILY_NANOS })
      expect(datedModel?.requests).toBe(0)
      expect(canonicalModel).toMatchObject({ requests: 3, costNanos: DAILY_NANOS })
      // And a third run changes nothing.
      await importFromOld({ ...base, pricing })
      expect(await rows()).toEqual(after)
    } finally {
      await old.close()
      await stores.close()
    }
  })
})
