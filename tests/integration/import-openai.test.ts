/**
 * The importer carries the old system's OpenAI-family accounts: ChatGPT-login, OpenAI-Responses
 * and Azure OpenAI hashes written into Redis (under a prefix of their own) with their secrets
 * encrypted as the old system did, imported into SQLite, then used through the relay: an imported
 * key bound with `responses:<id>` reaches that account with its decrypted API key, ChatGPT and
 * Azure accounts answer with their own credentials.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createCipheriv, createHash, randomBytes, scryptSync } from 'node:crypto'
import Redis from 'ioredis'
import OpenAI from 'openai'
import type { importFromOld } from '../../src/migrate/import.ts'
import { openBunSqlite } from '../../src/runtime/bun.ts'
import { createSqliteStores } from '../../src/storage/sqlite/create.ts'
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/fake-openai.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { importOld } from '../helpers/old-import.ts'
import { deletePrefix, REDIS_TEST_URL, shouldRunRedis } from '../helpers/redis.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const ENC = 'old-system-encryption-key-openai-0123'
const PREFIX = `crs-old-openai-${randomBytes(4).toString('hex')}:`
const run = await shouldRunRedis('import-openai')

function oldEncrypt(text: string, salt: string): string {
  const key = scryptSync(ENC, salt, 32, { N: 16384, r: 8, p: 1 })
  const iv = randomBytes(16)
  const c = createCipheriv('aes-256-cbc', key, iv)
  return `${iv.toString('hex')}:${Buffer.concat([c.update(text, 'utf8'), c.final()]).toString('hex')}`
}
const keyHash = (plain: string) =>
  createHash('sha256')
    .update(plain + ENC)
    .digest('hex')

let up: FakeUpstream
let oa: FakeOpenAI
let r: TestRelay
const plain = `cr_${randomBytes(32).toString('hex')}`
const plainAzure = `cr_${randomBytes(32).toString('hex')}`
const plainChat = `cr_${randomBytes(32).toString('hex')}`

describe.skipIf(!run)('import-crs: OpenAI-family accounts', () => {
  let report: Awaited<ReturnType<typeof importFromOld>>
  beforeAll(async () => {
    up = startFakeUpstream()
    oa = startFakeOpenAI()
    const redis = new Redis(REDIS_TEST_URL)
    const at = new Date(Date.now() - 86_400_000).toISOString()
    const P = (k: string) => PREFIX + k
    await redis.hset(P('openai_responses_account:resp-1'), {
      id: 'resp-1',
      platform: 'openai-responses',
      name: 'Old Responses',
      baseApi: `${oa.url}/v1/`,
      apiKey: oldEncrypt('sk-old-responses', 'openai-responses-salt'),
      priority: '50',
      isActive: 'true',
      schedulable: 'false',
      rateLimitStatus: 'limited',
      rateLimitResetAt: new Date(Date.now() - 60_000).toISOString(),
      accountType: 'dedicated',
      createdAt: at,
    })
    await redis.hset(P('openai:account:chat-1'), {
      id: 'chat-1',
      name: 'Old ChatGPT',
      accessToken: oldEncrypt('old-chatgpt-access', 'openai-account-salt'),
      refreshToken: oldEncrypt('old-chatgpt-refresh', 'openai-account-salt'),
      idToken: oldEncrypt('a.b.c', 'openai-account-salt'),
      email: oldEncrypt('old@example.com', 'openai-account-salt'),
      accountId: 'old-chatgpt-acct',
      planType: 'pro',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      isActive: 'true',
      schedulable: 'true',
      accountType: 'dedicated',
      createdAt: at,
    })
    await redis.hset(P('azure_openai:account:az-1'), {
      id: 'az-1',
      name: 'Old Azure',
      azureEndpoint: oa.url,
      apiVersion: '2024-10-21',
      deploymentName: 'old-dep',
      apiKey: oldEncrypt('old-azure-key', 'azure-openai-account-default-salt'),
      supportedModels: JSON.stringify(['gpt-4']),
      isActive: 'true',
      schedulable: 'true',
      accountType: 'shared',
      createdAt: at,
    })
    const keys: [string, string, Record<string, string>][] = [
      ['key-resp', plain, { permissions: 'openai', openaiAccountId: 'responses:resp-1' }],
      ['key-azure', plainAzure, { permissions: 'all', azureOpenaiAccountId: 'az-1' }],
      ['key-chat', plainChat, { permissions: 'openai', openaiAccountId: 'chat-1' }],
    ]
    for (const [id, k, extra] of keys) {
      await redis.hset(P(`apikey:${id}`), {
        id,
        name: id,
        apiKey: keyHash(k),
        isActive: 'true',
        createdAt: at,
        ...extra,
      })
      await redis.hset(P('apikey:hash_map'), keyHash(k), id)
    }
    redis.disconnect()

    const stores = createSqliteStores(openBunSqlite(':memory:'))
    report = await importOld(PREFIX.slice(0, -1), stores, ENC)
    r = await startRelay({
      upstream: up,
      stores,
      listen: true,
      encryptionKey: ENC,
      env: { OPENAI_CHATGPT_BASE_URL: oa.url },
    })
  })
  afterAll(async () => {
    await r?.stop()
    oa?.stop()
    up?.stop()
    await deletePrefix(PREFIX)
  })

  test('the three accounts and the keys are imported', () => {
    expect(report.kinds.accounts.imported).toBe(3)
    expect(report.kinds.accounts.skipped).toEqual({})
    expect(report.kinds.apiKeys.imported).toBe(3)
  })

  test('an OpenAI-Responses account: its decrypted key, base URL, the responses: binding', async () => {
    const list = await r.admin('GET', '/admin/openai-responses-accounts')
    const acc = list.json.data[0]
    expect(acc).toMatchObject({ id: 'resp-1', apiUrl: `${oa.url}/v1`, schedulable: true })
    const client = new OpenAI({ baseURL: `${r.url}/openai/v1`, apiKey: plain, maxRetries: 0 })
    const res = await client.responses.create({ model: 'gpt-5', input: 'hi' })
    expect(res.output_text).toBe('Hello from the fake OpenAI')
    expect(oa.received.at(-1)!.headers.authorization).toBe('Bearer sk-old-responses')
  })

  test('a ChatGPT account: its decrypted token and ChatGPT account id', async () => {
    const client = new OpenAI({ baseURL: `${r.url}/openai/v1`, apiKey: plainChat, maxRetries: 0 })
    await client.responses.create({ model: 'gpt-5', input: 'hi', instructions: 'x' })
    const got = oa.received.at(-1)!
    expect(got.path).toBe('/backend-api/codex/responses')
    expect(got.headers.authorization).toBe('Bearer old-chatgpt-access')
    expect(got.headers['chatgpt-account-id']).toBe('old-chatgpt-acct')
  })

  test('an Azure account: deployment, api-version and decrypted api-key; any model served', async () => {
    const client = new OpenAI({ baseURL: `${r.url}/azure`, apiKey: plainAzure, maxRetries: 0 })
    await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
    })
    const got = oa.received.at(-1)!
    expect(got.path).toBe('/openai/deployments/old-dep/chat/completions')
    expect(got.search).toBe('?api-version=2024-10-21')
    expect(got.headers['api-key']).toBe('old-azure-key')
  })
})
