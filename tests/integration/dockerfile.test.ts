/**
 * The Dockerfile without Docker: it lints clean, and its steps, run the same way in clean
 * directories, produce an app that serves /health and the web UI as a non-root-friendly process.
 */
import { expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { validate } from 'dockerfile-utils'
import { parseDockerfile, runStages } from '../../scripts/dockerfile-dryrun.ts'
import { freePort, waitForHttp } from '../helpers/net.ts'

const dockerfile = join(import.meta.dir, '../../Dockerfile')

test('the Dockerfile lints clean and keeps the production rules', () => {
  const text = readFileSync(dockerfile, 'utf8')
  const problems = validate(text).filter((d) => d.severity === 1 || d.severity === 2)
  expect(problems.map((p) => p.message)).toEqual([])
  const ins = parseDockerfile(text)
  const froms = ins.filter((i) => i.op === 'FROM')
  expect(froms.every((i) => i.args.startsWith('oven/bun:'))).toBe(true)
  expect(froms.length).toBeGreaterThanOrEqual(2)
  const last = ins.slice(ins.lastIndexOf(froms.at(-1)!))
  expect(last.some((i) => i.op === 'USER' && i.args !== 'root')).toBe(true)
  expect(last.some((i) => i.op === 'HEALTHCHECK' && i.args.includes('/health'))).toBe(true)
  expect(last.find((i) => i.op === 'VOLUME')?.args).toContain('/app/data')
  expect(last.find((i) => i.op === 'VOLUME')?.args).toContain('/app/logs')
})

test('the Dockerfile steps build an app that serves /health and /web', async () => {
  const { dir, env, cmd } = runStages(dockerfile)
  expect(cmd).toEqual(['bun', 'src/main.ts'])
  const port = await freePort()
  const proc = Bun.spawn([process.execPath, ...cmd.slice(1)], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: join(dir, 'data'),
      LOG_DIR: join(dir, 'logs'),
      LOG_LEVEL: 'error',
    },
    stdout: 'ignore',
    stderr: 'inherit',
  })
  try {
    await waitForHttp(`http://127.0.0.1:${port}/health`, 20_000)
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200)
    const web = await fetch(`http://127.0.0.1:${port}/web`)
    expect(web.status).toBe(200)
    expect(await web.text()).toContain('<script')
  } finally {
    proc.kill('SIGTERM')
    await proc.exited
  }
}, 240_000)
