/**
 * The single binary: `npm run build:binary` writes dist/claude-relay-service; in an empty directory
 * it serves /health, the embedded web UI at /web, and relays a streamed request, storing in
 * SQLite under ./data. `claude-relay-service import-crs` is the importer.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { freePort, waitForHttp } from '../helpers/net.ts'
import { adminOf, relayStreamedOnce } from '../helpers/process.ts'

const root = join(import.meta.dir, '../..')
const binary = join(root, 'dist/claude-relay-service')
let up: FakeUpstream

beforeAll(() => {
  up = startFakeUpstream()
  const build = Bun.spawnSync([process.execPath, join(root, 'scripts/build-binary.ts')], {
    stdout: 'ignore',
    stderr: 'inherit',
  })
  if (build.exitCode !== 0) throw new Error('npm run build:binary failed')
}, 180_000)
afterAll(() => up.stop())

test('the binary serves /health, /web and relays a streamed request', async () => {
  expect(existsSync(binary)).toBe(true)
  const cwd = mkdtempSync(join(tmpdir(), 'crs-bin-'))
  const port = await freePort()
  const proc = Bun.spawn([binary], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      ADMIN_PASSWORD: 'process-test-password',
      LOG_LEVEL: 'info',
      CLAUDE_API_URL: up.messagesUrl,
      UPSTREAM_ALLOW_HOSTS: '127.0.0.1,localhost',
      // The writer thread is its own entry point inside the binary (scripts/build-binary.ts).
      HISTORY_WRITER: 'worker',
    },
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const log = new Response(proc.stdout).text()
  try {
    const url = `http://127.0.0.1:${port}`
    await waitForHttp(`${url}/health`, 15_000)
    expect(((await (await fetch(`${url}/health`)).json()) as any).storage.kind).toBe('sqlite')
    expect(existsSync(join(cwd, 'data/relay.db'))).toBe(true)
    const page = await fetch(`${url}/web`)
    expect(page.status).toBe(200)
    const html = await page.text()
    const script = /src="([^"]+\.js)"/.exec(html)?.[1]
    expect(script).toBeString()
    const js = await fetch(new URL(script!, `${url}/web/`))
    expect(js.status).toBe(200)
    expect(js.headers.get('cache-control')).toContain('immutable')
    const r = await relayStreamedOnce(url, up.url, 'bin-acct')
    expect(r.status).toBe(200)
    expect(r.text).toContain('event: message_stop')
    const admin = await adminOf(url)
    expect((await admin('GET', '/admin/request-history/config')).data.writer).toBe('worker')
  } finally {
    proc.kill('SIGTERM')
    expect(await proc.exited).toBe(0)
  }
  // The checkpoint thread is an entry point of its own too (SQLITE_CHECKPOINTS=thread).
  const lines = await log
  expect(lines).toContain('sqlite checkpoints run on their own thread')
  expect(lines).not.toContain('checkpoint thread cannot start')
  expect(existsSync(join(cwd, 'data/relay.db-wal'))).toBe(false)
}, 60_000)

test('the binary runs the importer as a subcommand', () => {
  const run = Bun.spawnSync([binary, 'import-crs'], {
    stdout: 'pipe',
    stderr: 'pipe',
    env: { PATH: process.env.PATH ?? '' },
  })
  expect(run.exitCode).toBe(2)
  expect(new TextDecoder().decode(run.stderr)).toContain('--from')
})

test('the binary runs the store copy as a subcommand', () => {
  const run = Bun.spawnSync([binary, 'copy-store', '--help'], {
    stdout: 'pipe',
    stderr: 'pipe',
    env: { PATH: process.env.PATH ?? '' },
  })
  expect(run.exitCode).toBe(0)
  expect(new TextDecoder().decode(run.stdout)).toContain('--to-cluster')
})

test('--help and --version print and exit without starting a server or creating ./data', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'crs-bin-flags-'))
  const run = (...args: string[]) => {
    const r = Bun.spawnSync([binary, ...args], {
      cwd,
      stdout: 'pipe',
      stderr: 'pipe',
      env: { PATH: process.env.PATH ?? '' },
      timeout: 10_000,
    })
    return {
      code: r.exitCode,
      out: new TextDecoder().decode(r.stdout),
      err: new TextDecoder().decode(r.stderr),
    }
  }
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
  for (const flag of ['--version', '-v']) {
    const v = run(flag)
    expect(v).toMatchObject({ code: 0, out: `claude-relay-service ${pkg.version}\n` })
  }
  for (const flag of ['--help', '-h']) {
    const h = run(flag)
    expect(h.code).toBe(0)
    expect(h.out).toStartWith('Usage: claude-relay-service [command] [options]')
    expect(h.out).toContain('claude-relay-service import-crs --help')
  }
  const bad = run('--port=3000')
  expect(bad.code).toBe(2)
  expect(bad.err).toContain('Unknown option --port=3000')
  expect(run('serve-please').err).toContain('Unknown command serve-please')
  // Subcommands show their own form in the binary.
  expect(run('copy-store', '--help').out).toStartWith(
    'Usage: claude-relay-service copy-store --to <store>',
  )
  expect(run('import-crs', '--help').out).toStartWith(
    'Usage: claude-relay-service import-crs --from',
  )
  expect(run('import-crs').err).toContain('Usage: claude-relay-service import-crs')
  expect(existsSync(join(cwd, 'data'))).toBe(false)
})
