/**
 * import-crs of the old system's webhook configuration: `webhook_config:default` written into
 * Redis as the old system keeps it (one JSON string), imported, and then used through the admin
 * API: the notification types and retry policy are the old ones, each platform is sealed (secrets
 * masked) under its old id, a Bark platform keeps its sound and level and delivers to a real
 * receiver, a platform our rules refuse is reported, and a second run changes nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomBytes } from 'node:crypto'
import Redis from 'ioredis'
import type { ImportReport } from '../../src/migrate/import.ts'
import { openBunSqlite } from '../../src/runtime/bun.ts'
import { createSqliteStores } from '../../src/storage/sqlite/create.ts'
import type { Stores } from '../../src/storage/stores.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { importOld } from '../helpers/old-import.ts'
import { deletePrefix, REDIS_TEST_URL, shouldRunRedis } from '../helpers/redis.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const ENC = 'old-system-encryption-key-webhooks-0123'
const SLACK_TOKEN = 'T0000/B0000/slacksecrettoken123'
const SIGN_SECRET = 'old-feishu-signing-secret'
const run = await shouldRunRedis('import-crs of the webhook configuration')
const prefix = `oldhook-${randomBytes(4).toString('hex')}`

let up: FakeUpstream
let bark: ReturnType<typeof Bun.serve>
const pushes: { path: string; body: any }[] = []
let stores: Stores
let r: TestRelay

function oldConfig() {
  return {
    enabled: true,
    platforms: [
      {
        id: 'wh-slack',
        type: 'slack',
        name: 'Ops Slack',
        url: `https://hooks.slack.com/services/${SLACK_TOKEN}`,
        enabled: true,
        enableSign: false,
        createdAt: '2025-01-01T00:00:00.000Z',
      },
      {
        id: 'wh-feishu',
        type: 'feishu',
        name: 'Feishu',
        url: 'https://open.feishu.cn/open-apis/bot/v2/hook/abcdef0123456789',
        enabled: false,
        enableSign: true,
        secret: SIGN_SECRET,
      },
      {
        id: 'wh-bark',
        type: 'bark',
        name: 'Phone',
        deviceKey: 'oldBarkDevice01',
        serverUrl: `http://127.0.0.1:${bark.port}`,
        sound: 'alarm',
        level: 'critical',
        enabled: true,
      },
      {
        id: 'wh-wecom',
        type: 'wechat_work',
        name: 'WeCom',
        url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k',
        enabled: true,
      },
      { id: 'wh-bad', type: 'custom', name: 'Broken', url: 'not a url', enabled: true },
    ],
    notificationTypes: {
      accountAnomaly: true,
      quotaWarning: false,
      systemError: false,
      securityAlert: true,
      rateLimitRecovery: true,
      test: true,
    },
    retrySettings: { maxRetries: 2, retryDelay: 500, timeout: 5000 },
  }
}

const importOnce = () => importOld(prefix, stores, ENC)

describe.skipIf(!run)('import-crs: webhook configuration', () => {
  let report: ImportReport
  beforeAll(async () => {
    bark = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      async fetch(req) {
        pushes.push({ path: new URL(req.url).pathname, body: await req.json() })
        return Response.json({ code: 200 })
      },
    })
    up = startFakeUpstream()
    const redis = new Redis(REDIS_TEST_URL)
    await redis.set(`${prefix}:webhook_config:default`, JSON.stringify(oldConfig()))
    redis.disconnect()
    stores = createSqliteStores(openBunSqlite(':memory:'))
    report = await importOnce()
    r = await startRelay({ upstream: up, stores, encryptionKey: ENC, listen: true })
  })
  afterAll(async () => {
    await r?.stop()
    up?.stop()
    bark?.stop(true)
    await deletePrefix(prefix)
  })

  test('switches, retry policy and platforms are taken; a refused platform is reported', async () => {
    expect(report.kinds.webhooks).toMatchObject({ imported: 1, updated: 0 })
    expect(Object.keys(report.kinds.webhooks.skipped)).toEqual([
      'custom platform: url: expected an http(s) URL',
    ])
    const cfg = (await r.admin('GET', '/admin/webhook/config')).json.data
    expect(cfg.enabled).toBe(true)
    expect(cfg.notificationTypes).toEqual(oldConfig().notificationTypes)
    expect(cfg.retry).toEqual({ maxRetries: 2, retryDelayMs: 500, timeoutMs: 5000 })
    const byId = new Map<string, any>(cfg.platforms.map((p: any) => [p.id, p]))
    expect([...byId.keys()].sort()).toEqual(['wh-bark', 'wh-feishu', 'wh-slack', 'wh-wecom'])
    expect(byId.get('wh-slack')).toMatchObject({ type: 'slack', name: 'Ops Slack', enabled: true })
    expect(byId.get('wh-feishu')).toMatchObject({ enabled: false, hasSecret: true })
    expect(byId.get('wh-wecom').type).toBe('wecom')
    expect(byId.get('wh-bark')).toMatchObject({ sound: 'alarm', level: 'critical' })
    const shown = JSON.stringify(cfg)
    for (const secret of [SLACK_TOKEN, SIGN_SECRET, 'oldBarkDevice01'])
      expect(shown).not.toContain(secret)
    const stored = JSON.stringify(await stores.settings.get('webhooks'))
    for (const secret of [SLACK_TOKEN, SIGN_SECRET]) expect(stored).not.toContain(secret)
  })

  test('the imported Bark platform delivers with its sound and level', async () => {
    const tested = await r.admin('POST', '/admin/webhook/test', { platformId: 'wh-bark' })
    expect(tested.json.data).toMatchObject({ delivered: true, status: 200 })
    expect(pushes.at(-1)).toMatchObject({
      path: '/oldBarkDevice01',
      body: { sound: 'alarm', level: 'critical', group: 'claude-relay' },
    })
  })

  test('a second run changes nothing', async () => {
    const again = await importOnce()
    expect(again.kinds.webhooks).toEqual({ imported: 0, updated: 0, unchanged: 1, skipped: {} })
    const cfg = (await r.admin('GET', '/admin/webhook/config')).json.data
    expect(cfg.platforms).toHaveLength(4)
  })
})
