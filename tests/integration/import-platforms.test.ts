/**
 * import-crs for the Bedrock, CCR and Droid accounts of the old system: written into Redis the
 * way it stored them (a Bedrock JSON document with `{encrypted, iv}` credentials under
 * SHA-256(ENCRYPTION_KEY); CCR and Droid hashes sealed with their scrypt salts; keys bound with
 * `bedrockAccountId` / `droidAccountId`; a Droid group), imported, and then used: each old key
 * relays through its imported account with the decrypted credentials.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createCipheriv, createHash, randomBytes, scryptSync } from 'node:crypto'
import Anthropic from '@anthropic-ai/sdk'
import Redis from 'ioredis'
import type { ImportReport } from '../../src/migrate/import.ts'
import { openBunSqlite } from '../../src/runtime/bun.ts'
import { createSqliteStores } from '../../src/storage/sqlite/create.ts'
import { type FakeBedrock, startFakeBedrock } from '../fakes/fake-bedrock.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { importOld } from '../helpers/old-import.ts'
import { deletePrefix, REDIS_TEST_URL, shouldRunRedis } from '../helpers/redis.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const ENC = 'old-system-encryption-key-platforms-0123'
const AWS = {
  accessKeyId: 'AKIAOLDSYSTEM0000001',
  secretAccessKey: 'old/secret/key+0123456789abcdef',
}

function scryptEncrypt(text: string, salt: string): string {
  const iv = randomBytes(16)
  const c = createCipheriv('aes-256-cbc', scryptSync(ENC, salt, 32, { N: 16384, r: 8, p: 1 }), iv)
  return `${iv.toString('hex')}:${Buffer.concat([c.update(text, 'utf8'), c.final()]).toString('hex')}`
}
function bedrockEncrypt(value: unknown): { encrypted: string; iv: string } {
  const iv = randomBytes(16)
  const c = createCipheriv('aes-256-cbc', createHash('sha256').update(ENC).digest(), iv)
  const data = Buffer.concat([c.update(JSON.stringify(value), 'utf8'), c.final()])
  return { encrypted: data.toString('hex'), iv: iv.toString('hex') }
}
const plainKey = () => `cr_${randomBytes(32).toString('hex')}`
const keyHash = (plain: string) =>
  createHash('sha256')
    .update(plain + ENC)
    .digest('hex')

const run = await shouldRunRedis('import-crs of Bedrock, CCR and Droid accounts')
const prefix = `oldplat-${randomBytes(4).toString('hex')}`
const KEYS = { bedrock: plainKey(), droid: plainKey(), ccr: plainKey() }

let up: FakeUpstream
let bedrock: FakeBedrock
let r: TestRelay
let report: ImportReport

async function writeOld(redis: Redis) {
  const k = (s: string) => `${prefix}:${s}`
  await redis.set(
    k('bedrock_account:bed-1'),
    JSON.stringify({
      id: 'bed-1',
      name: 'old bedrock',
      region: 'eu-west-1',
      defaultModel: 'us.anthropic.claude-sonnet-4-20250514-v1:0',
      isActive: true,
      schedulable: true,
      accountType: 'shared',
      priority: 10,
      credentialType: 'access_key',
      awsCredentials: bedrockEncrypt(AWS),
      createdAt: new Date().toISOString(),
      type: 'bedrock',
    }),
  )
  await redis.hset(k('ccr_account:ccr-1'), {
    id: 'ccr-1',
    platform: 'ccr',
    name: 'old ccr',
    apiUrl: up.url,
    apiKey: scryptEncrypt('ccr-secret-key', 'ccr-account-salt'),
    supportedModels: JSON.stringify({ 'gemini-2.5-pro': 'gemini-2.5-pro-up' }),
    priority: '50',
    isActive: 'true',
    schedulable: 'true',
    accountType: 'shared',
    status: 'rate_limited',
    rateLimitedAt: new Date().toISOString(),
  })
  await redis.hset(k('droid:account:dr-1'), {
    id: 'dr-1',
    platform: 'droid',
    name: 'old droid',
    authenticationMethod: 'api_key',
    apiKeys: JSON.stringify([
      {
        id: 'x1',
        hash: 'h',
        encryptedKey: scryptEncrypt('fk-old-one', 'droid-account-salt'),
        status: 'error',
      },
    ]),
    endpointType: 'anthropic',
    isActive: 'true',
    schedulable: 'false',
    status: 'error',
    errorMessage: '上游返回 400：所有API Key均已异常',
    accountType: 'group',
    priority: '50',
  })
  await redis.hset(k('account_group:grp-droid'), {
    id: 'grp-droid',
    name: 'droids',
    platform: 'droid',
  })
  await redis.sadd(k('account_group_members:grp-droid'), 'dr-1')
  await redis.sadd(k('account_groups'), 'grp-droid')
  const key = (id: string, plain: string, extra: Record<string, string>) =>
    redis.hset(k(`apikey:${id}`), {
      id,
      name: id,
      apiKey: keyHash(plain),
      isActive: 'true',
      createdAt: new Date().toISOString(),
      ...extra,
    })
  await key('key-bedrock', KEYS.bedrock, { permissions: 'claude', bedrockAccountId: 'bed-1' })
  await key('key-droid', KEYS.droid, { permissions: 'droid', droidAccountId: 'group:grp-droid' })
  await key('key-ccr', KEYS.ccr, { permissions: 'all' })
  await redis.hset(k('apikey:hash_map'), {
    [keyHash(KEYS.bedrock)]: 'key-bedrock',
    [keyHash(KEYS.droid)]: 'key-droid',
    [keyHash(KEYS.ccr)]: 'key-ccr',
  })
}

describe.skipIf(!run)('import-crs: Bedrock, CCR and Droid', () => {
  beforeAll(async () => {
    up = startFakeUpstream()
    bedrock = startFakeBedrock({ credentials: [AWS] })
    const redis = new Redis(REDIS_TEST_URL)
    await writeOld(redis)
    redis.disconnect()
    const stores = createSqliteStores(openBunSqlite(':memory:'))
    report = await importOld(prefix, stores, ENC)
    r = await startRelay({ upstream: up, stores, encryptionKey: ENC, listen: true })
  })
  afterAll(async () => {
    await r?.stop()
    up?.stop()
    bedrock?.stop()
    await deletePrefix(prefix)
  })

  test('every account kind and binding is imported; none skipped', async () => {
    expect(report.kinds.accounts.imported).toBe(3)
    expect(report.kinds.accounts.skipped).toEqual({})
    expect(report.kinds.groups.imported).toBe(1)
    expect(report.kinds.apiKeys.imported).toBe(3)
    const notes = report.notes.join('\n')
    expect(notes).toContain('droid account dr-1')
    expect(notes).toContain('imported in service')
    const list = await r.relay.services.accounts.list()
    expect(list.map((a) => a.platform).sort()).toEqual(['bedrock', 'ccr', 'droid'])
    const bed = list.find((a) => a.platform === 'bedrock')!
    expect(bed.options).toMatchObject({ region: 'eu-west-1' })
  })

  test('the old keys relay through the imported accounts with their decrypted credentials', async () => {
    // The Bedrock account's endpoint points at the fake (the old one reached AWS itself).
    await r.admin('PUT', '/admin/bedrock-accounts/bed-1', { endpoint: bedrock.url })
    await r.admin('PUT', '/admin/droid-accounts/dr-1', { apiUrl: up.url })
    const ask = {
      model: 'claude-sonnet-4-5',
      max_tokens: 16,
      messages: [{ role: 'user' as const, content: 'Hi' }],
    }
    const viaBedrock = await new Anthropic({
      baseURL: `${r.url}/api`,
      apiKey: KEYS.bedrock,
      maxRetries: 0,
    }).messages.create(ask)
    expect(viaBedrock.content[0]).toMatchObject({ type: 'text' })
    expect(bedrock.rejected).toEqual([])
    expect(bedrock.received[0]).toMatchObject({
      principal: AWS.accessKeyId,
      region: 'eu-west-1',
      modelId: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
    })

    await new Anthropic({
      baseURL: `${r.url}/droid/claude`,
      apiKey: KEYS.droid,
      maxRetries: 0,
    }).messages.create(ask)
    expect(up.received.at(-1)).toMatchObject({ account: 'fk-old-one', path: '/a/v1/messages' })

    await new Anthropic({
      baseURL: `${r.url}/api`,
      apiKey: KEYS.ccr,
      maxRetries: 0,
    }).messages.create({
      ...ask,
      model: 'ccr,gemini-2.5-pro',
    })
    expect(up.received.at(-1)).toMatchObject({ account: 'ccr-secret-key' })
    expect(up.received.at(-1)!.body.model).toBe('gemini-2.5-pro-up')
  })
})
