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
  // Every stage starts from the official Bun image or an earlier stage.
  const stages = froms.map((i) => /\bAS\s+(\S+)/i.exec(i.args)?.[1])
  expect(
    froms.every(
      (i, n) =>
        i.args.startsWith('oven/bun:') || stages.slice(0, n).includes(i.args.split(/\s+/)[0]),
    ),
  ).toBe(true)
  expect(froms.length).toBeGreaterThanOrEqual(2)
  const last = ins.slice(ins.lastIndexOf(froms.at(-1)!))
  // The relay never runs as root: either the image's user is another, or its entry point drops
  // root after giving the (bind-mounted) data and log folders to `bun`.
  const user = last.filter((i) => i.op === 'USER').at(-1)?.args
  const entry = last.find((i) => i.op === 'ENTRYPOINT')?.args ?? ''
  if (!user || user === 'root') {
    expect(entry).toContain('scripts/docker-entrypoint.sh')
    const script = readFileSync(join(import.meta.dir, '../../scripts/docker-entrypoint.sh'), 'utf8')
    expect(script).toContain('exec setpriv --reuid=bun --regid=bun --init-groups "$@"')
    expect(script).toMatch(/chown -h bun:bun/)
  }
  const health = last.find((i) => i.op === 'HEALTHCHECK')?.args ?? ''
  expect(health).toContain('/health')
  // Healthy within seconds of the start, on Docker 20.10 too (no --start-interval there).
  expect(health).toMatch(/--interval=[1-9]s/)
  expect(health).toMatch(/--start-period=\d+s/)
  expect(health).not.toContain('--start-interval')
  expect(last.find((i) => i.op === 'VOLUME')?.args).toContain('/app/data')
  expect(last.find((i) => i.op === 'VOLUME')?.args).toContain('/app/logs')
})

test('.dockerignore keeps secrets, data, logs and build output out of the build context', () => {
  const lines = readFileSync(join(import.meta.dir, '../../.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
  for (const entry of ['.git', '.env', 'data/', 'logs/', 'redis_data/', 'node_modules/', 'dist/'])
    expect(lines).toContain(entry)
})

test('the compose file stays within what docker-compose v1 understands', () => {
  const text = readFileSync(join(import.meta.dir, '../../docker-compose-user.yml'), 'utf8')
  expect(text).not.toMatch(/^\s*start_interval:/m)
  expect(text).not.toMatch(/^\s*(include|develop|configs):/m)
  expect(text).toMatch(/start_period: \d+s/)
  expect(text).toContain('- ./data:/app/data')
  expect(text).toContain('- ./logs:/app/logs')
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
