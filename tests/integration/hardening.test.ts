/**
 * Smaller hardening items: long `/web/` paths are a 404 (not a file-system error and a 500), data
 * files are readable by the relay's user only, and CSV exports neutralise every character a
 * spreadsheet starts a formula with.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chmodSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { distAssetReader } from '../../src/runtime/bun.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { messagesRequest } from '../helpers/messages.ts'
import { adminOf, spawnRelay } from '../helpers/process.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const modeOf = (path: string) => statSync(path).mode & 0o777

let up: FakeUpstream
beforeAll(() => {
  up = startFakeUpstream()
})
afterAll(() => up.stop())

describe('long /web paths', () => {
  let r: TestRelay
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crs-web-'))
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>ui</title>')
    r = await startRelay({ upstream: up, readAsset: distAssetReader(dir) })
  })
  afterAll(() => r.stop())

  test('a 256-character (or longer) path is a 404, never a 500', async () => {
    for (const path of [
      `/web/${'a'.repeat(256)}`,
      `/web/${'a'.repeat(300)}.js`,
      `/web/assets/${'b'.repeat(4096)}`,
      `/web/${'c/'.repeat(600)}x`,
      '/web/index.html/x.js',
    ]) {
      const res = await r.handle(new Request(`http://localhost${path}`))
      expect({ path: path.slice(0, 40), status: res.status }).toEqual({
        path: path.slice(0, 40),
        status: 404,
      })
    }
    expect((await r.handle(new Request('http://localhost/web/keys'))).status).toBe(200)
  })
})

describe('data files', () => {
  test('the data folder is 0700 and relay.db, -wal and -shm are 0600, also when they were looser', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crs-modes-'))
    const data = join(cwd, 'data')
    mkdirSync(data, { mode: 0o755 })
    chmodSync(data, 0o755)
    writeFileSync(join(data, 'relay.db'), '')
    chmodSync(join(data, 'relay.db'), 0o644)
    const proc = await spawnRelay({}, { cwd })
    try {
      const admin = await adminOf(proc.url)
      await admin('POST', '/admin/api-keys', { name: 'writes-the-wal' })
      expect(modeOf(data).toString(8)).toBe('700')
      for (const f of ['relay.db', 'relay.db-wal', 'relay.db-shm'])
        expect({ f, mode: modeOf(join(data, f)).toString(8) }).toEqual({ f, mode: '600' })
    } finally {
      await proc.stop()
    }
    const fresh = mkdtempSync(join(tmpdir(), 'crs-modes-'))
    const second = await spawnRelay({ ADMIN_PASSWORD: '', JWT_SECRET: '' }, { cwd: fresh })
    try {
      expect(modeOf(join(fresh, 'data')).toString(8)).toBe('700')
      for (const f of ['relay.db', 'relay.db-wal', 'relay.db-shm', 'secrets.json'])
        expect({ f, mode: modeOf(join(fresh, 'data', f)).toString(8) }).toEqual({ f, mode: '600' })
    } finally {
      await second.stop()
    }
  }, 60_000)
})

describe('CSV export', () => {
  let r: TestRelay
  beforeAll(async () => {
    r = await startRelay({ upstream: up })
    await r.createConsoleAccount('csv-acct')
  })
  afterAll(() => r.stop())

  test('cells starting with = + - @ TAB or CR are neutralised', async () => {
    const names = ['\t=HYPERLINK("http://x","y")', '\r=1+1', '=1+1', '+1', '-1', '@SUM(A1)']
    for (const name of names) {
      const { key } = await r.createKey({ name })
      const res = await r.handle(messagesRequest(key))
      await res.text()
    }
    await r.settle()
    await r.relay.services.history.flush()
    const res = await r.handle(
      new Request('http://localhost/admin/request-history/export?format=csv', {
        headers: { authorization: `Bearer ${await r.adminToken()}` },
      }),
    )
    const csv = await res.text()
    for (const name of names) {
      const quoted = /[",\n\r]/.test(`'${name}`) ? `"'${name.replaceAll('"', '""')}"` : `'${name}`
      expect({ name, found: csv.includes(quoted) }).toEqual({ name, found: true })
    }
  })
})
