/**
 * `npm run dev` (scripts/dev.ts): the web UI is built before the server starts, so `/web` works
 * on a fresh clone, and is rebuilt when a file under web-components/ changes.
 */
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { watchAndRebuild } from '../../scripts/dev.ts'
import { freePort, waitForHttp } from '../helpers/net.ts'

const root = join(import.meta.dir, '../..')
const manifest = join(root, 'dist/web/manifest.json')
const builtAt = () => {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { builtAt: string }).builtAt
  } catch {
    return null
  }
}

/** Waits for `probe` to be true (polling), or fails after `ms`. */
async function until(what: string, ms: number, probe: () => boolean | Promise<boolean>) {
  const end = Date.now() + ms
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(50)
  }
}

let proc: ReturnType<typeof Bun.spawn> | null = null
afterAll(async () => {
  proc?.kill('SIGTERM')
  await proc?.exited
})

test('a burst of changes gives one rebuild; a change during a build, one more after it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'crs-dev-watch-'))
  let builds = 0
  let release: (() => void) | null = null
  const w = watchAndRebuild(
    dir,
    async () => {
      builds++
      if (builds === 2) await new Promise<void>((r) => (release = r))
    },
    { debounceMs: 50 },
  )
  try {
    for (let i = 0; i < 5; i++) writeFileSync(join(dir, `f${i}.ts`), String(i))
    await until('the first build', 5000, () => builds === 1)
    await w.idle()
    expect(builds).toBe(1)
    writeFileSync(join(dir, 'a.ts'), 'a')
    await until('the second build to start', 5000, () => builds === 2)
    writeFileSync(join(dir, 'b.ts'), 'b')
    await Bun.sleep(150)
    expect(builds).toBe(2) // waits for the running build
    release!()
    await until('the third build', 5000, () => builds === 3)
    await w.idle()
    expect(builds).toBe(3)
  } finally {
    w.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('npm run dev builds the UI before serving it and rebuilds it on change', async () => {
  const before = builtAt()
  const port = await freePort()
  const data = mkdtempSync(join(tmpdir(), 'crs-dev-data-'))
  proc = Bun.spawn([process.execPath, join(root, 'scripts/dev.ts')], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: data,
      LOG_DIR: '',
      LOG_LEVEL: 'warn',
      ADMIN_PASSWORD: 'dev-test-password',
    },
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(`${url}/health`, 60_000)
  // Built by this run, before the server answered.
  const first = builtAt()
  expect(first).not.toBeNull()
  expect(first).not.toBe(before)
  const web = await fetch(`${url}/web`)
  expect(web.status).toBe(200)
  expect(await web.text()).toContain('<script')
  // A change under web-components/ (a touch: no content changes) rebuilds the UI.
  const file = join(root, 'web-components/index.html')
  const now = new Date()
  utimesSync(file, now, now)
  await until('a rebuild', 30_000, () => builtAt() !== null && builtAt() !== first)
  await until('the rebuilt UI to be served', 10_000, async () => (await fetch(`${url}/web`)).ok)
  proc.kill('SIGTERM')
  expect(await proc.exited).toBe(0)
  proc = null
  rmSync(data, { recursive: true, force: true })
}, 120_000)
