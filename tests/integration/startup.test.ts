/**
 * The service as a user starts it: `bun src/main.ts` in an empty directory, no configuration.
 */
import { describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, waitForHttp } from '../helpers/net.ts'

const main = join(import.meta.dir, '../../src/main.ts')

function start(cwd: string, env: Record<string, string>) {
  return Bun.spawn([process.execPath, main], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
}

describe('startup', () => {
  test('starts in an empty directory, serves /health within 5 s, and reuses its secrets next time', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crs-start-'))
    const port = await freePort()
    const p1 = start(cwd, { PORT: String(port) })
    const ms = await waitForHttp(`http://127.0.0.1:${port}/health`, 5000)
    expect(ms).toBeLessThan(5000)
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as any
    expect(health).toMatchObject({ status: 'ok', storage: { kind: 'sqlite', ok: true } })
    expect(typeof health.version).toBe('string')
    p1.kill('SIGTERM')
    expect(await p1.exited).toBe(0)
    const out1 = await new Response(p1.stdout).text()
    const secrets = JSON.parse(readFileSync(join(cwd, 'data/secrets.json'), 'utf8'))
    expect(out1).toContain(secrets.adminPassword)
    expect(existsSync(join(cwd, 'data/relay.db'))).toBe(true)

    const p2 = start(cwd, { PORT: String(port) })
    await waitForHttp(`http://127.0.0.1:${port}/health`, 5000)
    p2.kill('SIGTERM')
    expect(await p2.exited).toBe(0)
    const out2 = await new Response(p2.stdout).text()
    expect(out2).not.toContain(secrets.adminPassword)
    expect(JSON.parse(readFileSync(join(cwd, 'data/secrets.json'), 'utf8'))).toEqual(secrets)
  })

  test('bad configuration exits non-zero naming every bad variable', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crs-start-'))
    const p = start(cwd, { PORT: 'abc', ENCRYPTION_KEY: 'short' })
    expect(await p.exited).not.toBe(0)
    const err = await new Response(p.stderr).text()
    expect(err).toContain('PORT')
    expect(err).toContain('ENCRYPTION_KEY')
    expect(existsSync(join(cwd, 'data/secrets.json'))).toBe(false)
  })
})
