/**
 * The same service on Deno (`src/main.deno.ts`, the `deno` npm package): it starts, and relays a
 * streamed request end to end, on node:sqlite and on Redis.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { freePort, waitForHttp } from '../helpers/net.ts'
import { relayStreamedOnce } from '../helpers/process.ts'
import { deletePrefix, REDIS_TEST_URL, shouldRunRedis } from '../helpers/redis.ts'

const root = join(import.meta.dir, '../..')
const deno = join(root, 'node_modules/.bin/deno')
const prefix = `tdeno${Date.now().toString(36)}`

let up: FakeUpstream
beforeAll(() => {
  up = startFakeUpstream()
})
afterAll(async () => {
  up.stop()
  await deletePrefix(prefix)
})

async function startDeno(env: Record<string, string>) {
  const port = await freePort()
  const proc = Bun.spawn(
    [deno, 'run', '-A', '--unstable-no-legacy-abort', join(root, 'src/main.deno.ts')],
    {
      cwd: mkdtempSync(join(tmpdir(), 'crs-deno-')),
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        DENO_DIR: join(tmpdir(), 'crs-deno-cache'),
        DENO_NO_UPDATE_CHECK: '1',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'error',
        JWT_SECRET: 'process-test-jwt-secret-0123456789abcdef',
        ENCRYPTION_KEY: 'process-test-encryption-key-0123456789',
        ADMIN_PASSWORD: 'process-test-password',
        CLAUDE_API_URL: up.messagesUrl,
        UPSTREAM_ALLOW_HOSTS: '127.0.0.1,localhost',
        ...env,
      },
      stdout: 'ignore',
      stderr: 'inherit',
    },
  )
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(`${url}/health`, 60_000)
  return {
    url,
    stop: () => {
      proc.kill('SIGTERM')
      return proc.exited
    },
  }
}

async function relayOnce(url: string) {
  const r = await relayStreamedOnce(url, up.url, 'deno-acct')
  expect(r.status).toBe(200)
  expect(r.type).toContain('text/event-stream')
  expect(r.text).toContain('"text":"Hello from deno"')
  expect(r.text).toContain('event: message_stop')
}

describe.if(existsSync(deno))('deno', () => {
  test('relays a streamed request on node:sqlite', async () => {
    const d = await startDeno({})
    try {
      await relayOnce(d.url)
      // Deno's own memoryUsage feeds /metrics.
      const metrics = await (await fetch(`${d.url}/metrics`)).text()
      expect(metrics).toMatch(/^process_resident_memory_bytes [1-9]\d+/m)
      expect(metrics).toMatch(/^crs_heap_bytes\{kind="used"\} [1-9]\d+/m)
    } finally {
      expect(await d.stop()).toBe(0)
    }
  }, 120_000)

  test('relays a streamed request on Redis', async () => {
    if (!(await shouldRunRedis('deno on redis'))) return
    const d = await startDeno({ REDIS_URL: REDIS_TEST_URL, REDIS_PREFIX: prefix })
    try {
      await relayOnce(d.url)
    } finally {
      await d.stop()
    }
  }, 120_000)
})
