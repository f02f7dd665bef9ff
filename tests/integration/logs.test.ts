/**
 * The service with LOG_DIR and a small LOG_MAX_SIZE: access lines land in rotated files, with the
 * request id and key id, never the key.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { adminOf, type RelayProcess, spawnRelay } from '../helpers/process.ts'

let up: FakeUpstream
let p: RelayProcess
const dir = mkdtempSync(join(tmpdir(), 'crs-proc-logs-'))
beforeAll(async () => {
  up = startFakeUpstream()
  p = await spawnRelay({
    LOG_DIR: dir,
    LOG_MAX_SIZE: '2k',
    LOG_MAX_FILES: '3',
    LOG_LEVEL: 'info',
    CLAUDE_API_URL: up.messagesUrl,
  })
})
afterAll(async () => {
  await p.stop()
  up.stop()
})

test('access log lines rotate by LOG_MAX_SIZE and never contain the key', async () => {
  const admin = await adminOf(p.url)
  await admin('POST', '/admin/claude-console-accounts', {
    name: 'logs',
    apiUrl: up.url,
    apiKey: 'logs',
  })
  const { id, apiKey } = (await admin('POST', '/admin/api-keys', { name: 'logged' })).data
  const ids: string[] = []
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`${p.url}/api/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey },
      body: JSON.stringify({
        model: 'claude-sonnet-4-6',
        max_tokens: 5,
        messages: [{ role: 'user', content: `l${i}` }],
      }),
    })
    ids.push(res.headers.get('request-id')!)
    await res.text()
  }
  await Bun.sleep(100)
  const files = readdirSync(dir).sort()
  expect(files).toContain('relay.log.1')
  expect(files.length).toBeLessThanOrEqual(4)
  const all = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('')
  expect(all).not.toContain(apiKey)
  const lines = all
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
  const access = lines.filter((l) => l.msg === 'request')
  expect(access.length).toBeGreaterThan(0)
  const lastId = ids.at(-1)!
  const line = access.find((l) => l.requestId === lastId)
  expect(line).toMatchObject({
    keyId: id,
    model: 'claude-sonnet-4-6',
    status: 200,
    outcome: 'success',
  })
  expect(typeof line.durationMs).toBe('number')
  expect(line.accountId).toBeString()
})
