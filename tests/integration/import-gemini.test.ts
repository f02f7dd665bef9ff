/**
 * The importer carries the old system's Gemini accounts: `gemini_account:<id>` (Google login, its
 * tokens sealed with `gemini-account-salt`, its project) and `gemini_api_account:<id>` (base URL and
 * key sealed with `gemini-api-salt`), their `gemini` group and the keys bound to them
 * (`geminiAccountId` as `<id>`, `api:<id>` and `group:<id>`). The old store is read through an
 * in-memory stand-in of the importer's read port; the imported keys then relay on the imported
 * accounts against the fake Google.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createCipheriv, createHash, randomBytes, scryptSync } from 'node:crypto'
import { createSecretBox } from '../../src/core/crypto.ts'
import { importFromOld } from '../../src/migrate/import.ts'
import type { OldRedis } from '../../src/migrate/read-old.ts'
import { bunPasswordHasher, openBunSqlite } from '../../src/runtime/bun.ts'
import { createSqliteStores } from '../../src/storage/sqlite/create.ts'
import { type FakeGemini, startFakeGemini } from '../fakes/fake-gemini.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const ENC = 'old-system-encryption-key-0123456789'

function oldEncrypt(text: string, salt: string): string {
  const key = scryptSync(ENC, salt, 32, { N: 16384, r: 8, p: 1 })
  const iv = randomBytes(16)
  const c = createCipheriv('aes-256-cbc', key, iv)
  return `${iv.toString('hex')}:${Buffer.concat([c.update(text, 'utf8'), c.final()]).toString('hex')}`
}
const plainKey = () => `cr_${randomBytes(32).toString('hex')}`
const keyHash = (plain: string) =>
  createHash('sha256')
    .update(plain + ENC)
    .digest('hex')

/** The importer's read port over plain maps. */
function memoryOld(hashes: Record<string, Record<string, string>>, sets: Record<string, string[]>) {
  const keys = [...Object.keys(hashes), ...Object.keys(sets)]
  const old: OldRedis = {
    async *scan() {
      yield keys
    },
    size: async () => keys.length,
    hashes: async (ks) => ks.map((k) => hashes[k] ?? null),
    strings: async (ks) => ks.map(() => null),
    sets: async (ks) => ks.map((k) => sets[k] ?? []),
    close: async () => {},
  }
  return old
}

let up: FakeUpstream
let g: FakeGemini
let r: TestRelay
const KEYS = { api: plainKey(), oauth: plainKey(), group: plainKey() }

beforeAll(async () => {
  up = startFakeUpstream()
  g = startFakeGemini()
  const now = new Date().toISOString()
  const apikey = (id: string, plain: string, binding: string) => ({
    id,
    name: id,
    apiKey: keyHash(plain),
    isActive: 'true',
    permissions: 'gemini',
    geminiAccountId: binding,
    createdAt: now,
  })
  const old = memoryOld(
    {
      'gemini_account:g-login': {
        id: 'g-login',
        platform: 'gemini',
        name: 'Old Google login',
        accountType: 'dedicated',
        isActive: 'true',
        schedulable: 'true',
        priority: '50',
        geminiOauth: oldEncrypt(
          JSON.stringify({
            access_token: 'old-google-access-0123456789',
            refresh_token: 'old-google-refresh-0123456789',
            expiry_date: Date.now() + 3_600_000,
          }),
          'gemini-account-salt',
        ),
        accessToken: oldEncrypt('old-google-access-0123456789', 'gemini-account-salt'),
        refreshToken: oldEncrypt('old-google-refresh-0123456789', 'gemini-account-salt'),
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        projectId: 'old-project-1',
        createdAt: now,
      },
      'gemini_api_account:g-api': {
        id: 'g-api',
        platform: 'gemini-api',
        name: 'Old Gemini key',
        baseUrl: g.url,
        apiKey: oldEncrypt('AIza-old-imported-0123456789abcdef', 'gemini-api-salt'),
        accountType: 'dedicated',
        isActive: 'true',
        schedulable: 'true',
        priority: '50',
        supportedModels: '[]',
        createdAt: now,
      },
      'account_group:grp-g': { id: 'grp-g', name: 'Gemini group', platform: 'gemini' },
      'apikey:k-api': apikey('k-api', KEYS.api, 'api:g-api'),
      'apikey:k-oauth': apikey('k-oauth', KEYS.oauth, 'g-login'),
      'apikey:k-group': apikey('k-group', KEYS.group, 'group:grp-g'),
      'apikey:hash_map': {
        [keyHash(KEYS.api)]: 'k-api',
        [keyHash(KEYS.oauth)]: 'k-oauth',
        [keyHash(KEYS.group)]: 'k-group',
      },
    },
    { account_groups: ['grp-g'], 'account_group_members:grp-g': ['g-api'] },
  )
  const stores = createSqliteStores(openBunSqlite(':memory:'))
  const report = await importFromOld({
    old,
    oldPrefix: '',
    source: 'memory',
    stores,
    encryptionKey: ENC,
    box: createSecretBox(ENC),
    hasher: bunPasswordHasher,
    tzOffsetHours: 8,
    retentionMs: 30 * 86_400_000,
    dryRun: false,
    adminEnvDigest: null,
  })
  expect(report.kinds.accounts.imported).toBe(2)
  expect(report.kinds.accounts.skipped).toEqual({})
  expect(report.kinds.groups.imported).toBe(1)
  expect(report.kinds.apiKeys.imported).toBe(3)
  r = await startRelay({
    upstream: up,
    stores,
    listen: true,
    encryptionKey: ENC,
    env: { GEMINI_CODE_ASSIST_URL: g.url },
  })
})
afterAll(async () => {
  await r?.stop()
  g.stop()
  up.stop()
})

const generate = (key: string) =>
  fetch(`${r.url}/gemini/v1beta/models/gemini-2.5-flash:generateContent`, {
    method: 'POST',
    headers: { 'x-goog-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
  })

describe('import-crs: Gemini accounts and bindings', () => {
  test('a key bound to api:<id> relays on the imported API-key account with its old key', async () => {
    const res = await generate(KEYS.api)
    expect(res.status).toBe(200)
    expect(g.received.at(-1)!.credential).toBe('AIza-old-imported-0123456789abcdef')
  })

  test('a key bound to the Google-login account relays with its token and old project', async () => {
    const res = await generate(KEYS.oauth)
    expect(res.status).toBe(200)
    const sent = g.received.at(-1)!
    expect(sent.path).toBe('/v1internal:generateContent')
    expect(sent.credential).toBe('old-google-access-0123456789')
    expect(sent.body.project).toBe('old-project-1')
  })

  test('a key bound to the gemini group reaches its member', async () => {
    const res = await generate(KEYS.group)
    expect(res.status).toBe(200)
    expect(g.received.at(-1)!.credential).toBe('AIza-old-imported-0123456789abcdef')
  })
})
