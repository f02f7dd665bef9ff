/**
 * The history writer thread (HISTORY_WRITER=worker): records built and stored by the worker over
 * the relay's own storage (an SQLite file the main thread also opens, and Redis) read back
 * through the main thread's repository exactly as the inline writer would have written them —
 * streamed answers assembled, bodies capped, secrets redacted. A thread that cannot start leaves
 * the inline writer in place; a write the storage refuses is rejected (the service keeps the
 * batch and retries it); and a relay process with the worker writes every record, including the
 * ones still queued at SIGTERM.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { StorageChoice } from '../../src/config/load.ts'
import { createMemoryLogger } from '../../src/core/log.ts'
import type { HistoryRepository } from '../../src/history/repository.ts'
import { type HistoryConfig, inlineHistoryWriter } from '../../src/history/writer.ts'
import type { RequestOutcome } from '../../src/relay/recorder.ts'
import { openBunSqlite } from '../../src/runtime/bun.ts'
import { startHistoryWorker } from '../../src/runtime/history-writer.ts'
import { createRedisStores } from '../../src/storage/redis/create.ts'
import { createSqliteStores } from '../../src/storage/sqlite/create.ts'
import { startFakeUpstream } from '../fakes/fake-upstream.ts'
import { postMessages } from '../helpers/messages.ts'
import { freePort } from '../helpers/net.ts'
import { adminOf, type RelayProcess, spawnRelay } from '../helpers/process.ts'
import { deletePrefix, REDIS_TEST_URL, shouldRunRedis } from '../helpers/redis.ts'

const CONFIG: HistoryConfig = {
  enabled: true,
  captureBodies: true,
  maxRequestBodySize: 64 * 1024,
  maxResponseBodySize: 256 * 1024,
  retentionDays: 7,
  maxTotalBytes: 1e9,
}
const SECRET = 'sk-ant-account-secret-0123456789'

const sse = (e: string, d: unknown) => `event: ${e}\ndata: ${JSON.stringify(d)}\n\n`
/** A finished streamed request whose answer spells the account secret across two deltas. */
function outcome(id: string): RequestOutcome {
  const half = SECRET.length / 2
  const body =
    sse('message_start', {
      type: 'message_start',
      message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'm', content: [] },
    }) +
    sse('content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    }) +
    sse('content_block_delta', {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: `key is ${SECRET.slice(0, half)}` },
    }) +
    sse('content_block_delta', {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: `${SECRET.slice(half)} ok` },
    }) +
    sse('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn' },
      usage: { output_tokens: 2 },
    }) +
    sse('message_stop', { type: 'message_stop' })
  const request = JSON.stringify({ model: 'claude-sonnet-4-6', stream: true, password: 'hunter2!' })
  return {
    requestId: id,
    key: { id: 'key1', name: 'writer-test' } as RequestOutcome['key'],
    endpoint: '/api/v1/messages',
    dialect: 'anthropic',
    requestedModel: 'claude-sonnet-4-6',
    upstreamModel: 'claude-sonnet-4-6',
    model: 'claude-sonnet-4-6',
    platform: 'claude-console',
    stream: true,
    userAgent: 'test',
    startTime: Date.now(),
    endTime: Date.now() + 5,
    ttfbMs: 2,
    overheadMs: 0.05,
    accountId: 'acct1',
    accountName: 'a',
    status: 200,
    outcome: 'success',
    errorType: '',
    errorMessage: '',
    usage: {
      inputTokens: 3,
      outputTokens: 2,
      cacheCreate5mTokens: 0,
      cacheCreate1hTokens: 0,
      cacheReadTokens: 0,
    },
    billable: true,
    costNanos: 42,
    priced: true,
    longContext: false,
    attempts: [{ accountId: 'acct1', accountName: 'a', status: 200, error: '', ms: 3 }],
    requestBody: request,
    requestBodyBytes: request.length,
    responseBody: body,
    responseBodyBytes: body.length,
    responseTruncated: false,
    windowStart: 0,
  }
}

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'crs-writer-'))
  dirs.push(d)
  return d
}

/** Writes two records through a worker over `storage`; `repo` reads them back. */
async function roundTrip(storage: StorageChoice, repo: HistoryRepository) {
  const logger = createMemoryLogger()
  const writer = await startHistoryWorker(storage, inlineHistoryWriter(repo, logger), logger)
  expect(writer?.kind).toBe('worker')
  const ids = [`req_${crypto.randomUUID()}`, `req_${crypto.randomUUID()}`]
  await writer!.write(ids.map(outcome), CONFIG, [SECRET])
  for (const id of ids) {
    const r = await repo.get(id)
    expect(r?.keyName).toBe('writer-test')
    expect(r?.costNanos).toBe(42)
    // Assembled (not SSE frames), and the secret split across deltas is redacted.
    const msg = JSON.parse(r!.responseBody)
    expect(msg.content[0].text).toBe('key is [REDACTED] ok')
    expect(msg.stop_reason).toBe('end_turn')
    expect(r!.requestBody).not.toContain('hunter2!')
  }
  await writer!.stop?.()
  expect(logger.lines.filter((l) => l.includes('"level":"error"'))).toEqual([])
}

describe('history writer thread', () => {
  test('sqlite: the worker writes into the file the main thread reads', async () => {
    const path = join(tempDir(), 'relay.db')
    const stores = createSqliteStores(openBunSqlite(path))
    await roundTrip({ kind: 'sqlite', path }, stores.history)
    expect(await stores.history.size()).toMatchObject({ count: 2 })
    await stores.close()
  })

  test('redis: the worker writes under the relay prefix', async () => {
    if (!(await shouldRunRedis('history writer thread'))) return
    const prefix = `test:${crypto.randomUUID()}`
    const stores = await createRedisStores({ url: REDIS_TEST_URL, prefix })
    try {
      await roundTrip({ kind: 'redis', url: REDIS_TEST_URL, tls: false, prefix }, stores.history)
    } finally {
      await stores.close()
      await deletePrefix(prefix)
    }
  })

  test('once the thread is gone, writes go to the inline fallback', async () => {
    const path = join(tempDir(), 'relay.db')
    const stores = createSqliteStores(openBunSqlite(path))
    const writer = await startHistoryWorker(
      { kind: 'sqlite', path },
      inlineHistoryWriter(stores.history, createMemoryLogger()),
      createMemoryLogger(),
    )
    await writer!.stop?.()
    await writer!.write([outcome('req_after_stop')], CONFIG, [SECRET])
    expect((await stores.history.get('req_after_stop'))?.keyName).toBe('writer-test')
    await stores.close()
  })

  test('a thread that cannot open its storage is not used (the caller keeps inline)', async () => {
    const logger = createMemoryLogger()
    const stores = createSqliteStores(openBunSqlite(':memory:'))
    const writer = await startHistoryWorker(
      { kind: 'sqlite', path: join(tempDir(), 'missing/dir/relay.db') },
      inlineHistoryWriter(stores.history, createMemoryLogger()),
      logger,
    )
    expect(writer).toBeNull()
    expect(logger.lines.join('\n')).toContain('history writer thread cannot start')
  })

  test('a write the storage refuses is rejected with its error, for the service to retry', async () => {
    const port = await freePort() // nothing listens there
    const stores = createSqliteStores(openBunSqlite(':memory:'))
    const writer = await startHistoryWorker(
      { kind: 'redis', url: `redis://127.0.0.1:${port}`, tls: false, prefix: 'nowhere' },
      inlineHistoryWriter(stores.history, createMemoryLogger()),
      createMemoryLogger(),
    )
    expect(writer).not.toBeNull()
    const err = await writer!.write([outcome('req_refused')], CONFIG, []).catch((e) => e)
    expect(err).toBeInstanceOf(Error)
    // ioredis fails the command at once (maxRetriesPerRequest 0) while it cannot connect.
    expect(String(err.message)).toMatch(
      /ECONNREFUSED|Connection is closed|max retries per request/i,
    )
    await writer!.stop?.()
  })
})

describe('relay process with HISTORY_WRITER=worker', () => {
  const up = startFakeUpstream()
  const spawned: RelayProcess[] = []
  afterAll(async () => {
    for (const p of spawned) if (p.proc.exitCode === null) await p.stop('SIGKILL')
    up.stop()
  })

  test('every request has its record, the last ones written at SIGTERM', async () => {
    const env = { HISTORY_WRITER: 'worker', CLAUDE_API_URL: up.messagesUrl }
    const first = await spawnRelay(env)
    spawned.push(first)
    dirs.push(first.cwd)
    let admin = await adminOf(first.url)
    await admin('POST', '/admin/claude-console-accounts', {
      name: 'w',
      apiUrl: up.url,
      apiKey: 'sk-ant-writer-0000000000',
    })
    const key = (await admin('POST', '/admin/api-keys', { name: 'w' })).data
    expect((await admin('GET', '/admin/request-history/config')).data.writer).toBe('worker')
    const ids: string[] = []
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const res = await postMessages(first.url, key.apiKey, {
          stream: i % 2 === 0,
          messages: [{ role: 'user', content: `question ${i}` }],
        })
        expect(res.status).toBe(200)
        await res.text()
        ids.push(res.headers.get('request-id')!)
      }),
    )
    // Stopped at once: records still queued (flushed every 250 ms) go through the thread.
    expect(await first.stop()).toBe(0)
    const second = await spawnRelay({ ...env, HISTORY_WRITER: 'inline' }, { cwd: first.cwd })
    spawned.push(second)
    admin = await adminOf(second.url)
    expect((await admin('GET', '/admin/request-history/config')).data.writer).toBe('inline')
    const list = await admin('GET', `/admin/request-history?apiKeyId=${key.id}&limit=100`)
    const found = list.data.history as { id: string; stream: boolean }[]
    expect(found.map((r) => r.id).sort()).toEqual([...ids].sort())
    const streamed = found.find((r) => r.stream)!
    const detail = await admin('GET', `/admin/request-history/${streamed.id}`)
    expect(JSON.parse(detail.data.responseBody).content[0].type).toBe('text')
    expect(await second.stop()).toBe(0)
  }, 30_000)
})
