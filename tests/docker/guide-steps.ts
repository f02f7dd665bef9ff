/**
 * The deploy guide's three Docker steps on a real Docker engine (`npm run test:docker`; CI runs it
 * from `.ci/run` after `setup-docker.sh`). Not part of `bun test`: it needs dockerd, builds the
 * image and takes a minute or two.
 *
 * In a temporary folder holding the project's files as a clone has them (no data, logs or
 * node_modules): write `.env` as the guide says, `up -d` (which builds the image: the folders
 * ./data and ./logs do not exist, so Docker creates them owned by root), wait for `healthy`, sign
 * in, create an account and a key, relay requests (the Anthropic SDK as the client) to a fake
 * upstream on this machine that the container reaches through its network's gateway, `down`,
 * `up -d`, and the key, its usage and its history are still there; `logs` and `ps` work, and a
 * rebuild after the run sends a small build context.
 *
 * The fake upstream listens on 0.0.0.0 and the account's apiUrl is the default bridge's gateway
 * address (the host as containers see it: a private 172.16.0.0/12 address, which the outbound URL
 * policy allows by default, so no UPSTREAM_ALLOW_* setting is needed).
 *
 * Environment: COMPOSE="docker compose" or "docker-compose" (default: whichever works, v1
 * first, as Debian ships it); KEEP=1 leaves the folder, containers and image for a look.
 */
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import Anthropic from '@anthropic-ai/sdk'
import { startFakeUpstream } from '../fakes/fake-upstream.ts'

const ROOT = join(import.meta.dir, '../..')
const COMPOSE_FILE = 'docker-compose-user.yml'
const t0 = performance.now()

function log(msg: string): void {
  console.log(`[docker-check +${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}`)
}

class CheckError extends Error {}

function fail(msg: string): never {
  throw new CheckError(msg)
}

function check(ok: unknown, msg: string): void {
  if (!ok) fail(msg)
}

/** Runs a command; returns its output, or throws with it on a non-zero exit. */
async function run(
  cmd: string[],
  options: {
    cwd?: string
    timeoutMs?: number
    allowFail?: boolean
    env?: Record<string, string>
  } = {},
): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn(cmd, {
    cwd: options.cwd ?? ROOT,
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, DOCKER_BUILDKIT: '0', COMPOSE_DOCKER_CLI_BUILD: '0', ...options.env },
  })
  const timer = setTimeout(() => proc.kill('SIGKILL'), options.timeoutMs ?? 120_000)
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  clearTimeout(timer)
  const text = `${out}${err}`
  if (code !== 0 && !options.allowFail)
    fail(`${cmd.join(' ')} exited with ${code}:\n${text.slice(-4000)}`)
  return { code, out: text }
}

async function composeCommand(): Promise<string[]> {
  const wanted = process.env.COMPOSE?.trim()
  if (wanted) return wanted.split(/\s+/)
  for (const c of [['docker-compose'], ['docker', 'compose']])
    if ((await run([...c, 'version'], { allowFail: true }).catch(() => ({ code: 1 }))).code === 0)
      return c
  return fail('Neither docker-compose nor docker compose works')
}

/** The project's files as a clone has them (tracked and new files, nothing git ignores). */
async function cloneInto(dir: string): Promise<void> {
  const { out } = await run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'])
  for (const file of out.split('\0').filter(Boolean)) {
    const from = join(ROOT, file)
    let st: ReturnType<typeof statSync>
    try {
      st = statSync(from)
    } catch {
      continue // deleted in the working tree
    }
    if (!st.isFile()) continue
    mkdirSync(dirname(join(dir, file)), { recursive: true })
    cpSync(from, join(dir, file))
  }
}

async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() })
  const port = s.port
  s.stop(true)
  return port as number
}

function hex(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex')
}

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | null | undefined | false>,
): Promise<T> {
  const end = Date.now() + timeoutMs
  let last: unknown = null
  for (;;) {
    try {
      const v = await probe()
      if (v) return v
    } catch (err) {
      if (err instanceof CheckError) throw err
      last = err
    }
    if (Date.now() > end) fail(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    await Bun.sleep(250)
  }
}

async function main(): Promise<void> {
  const info = await run(['docker', 'info', '--format', '{{.ServerVersion}}'], { allowFail: true })
  check(info.code === 0, `No Docker engine answers (run setup-docker.sh first):\n${info.out}`)
  const compose = await composeCommand()
  const version = (await run([...compose, 'version'])).out.split('\n')[0]
  log(`dockerd ${info.out.trim()}; ${compose.join(' ')}: ${version}`)

  const dir = mkdtempSync(join(tmpdir(), 'crs-docker-check-'))
  const id = hex(4)
  const project = `crscheck${id}`
  const image = `crs-docker-check:${id}`
  const port = await freePort()
  const adminPassword = `pw-${hex(8)}`
  const up = startFakeUpstream({ hostname: '0.0.0.0' })
  const dc = (args: string[], timeoutMs?: number) =>
    run([...compose, '-p', project, '-f', COMPOSE_FILE, ...args], { cwd: dir, timeoutMs })
  let ok = false
  try {
    await cloneInto(dir)
    // Step 1 of the guide: .env with generated secrets and the admin's credentials.
    writeFileSync(
      join(dir, '.env'),
      [
        `JWT_SECRET=${hex(32)}`,
        `ENCRYPTION_KEY=${hex(16)}`,
        'ADMIN_USERNAME=admin',
        `ADMIN_PASSWORD=${adminPassword}`,
        `PORT=${port}`,
        'LOG_LEVEL=info',
        `CRS_IMAGE=${image}`,
        '',
      ].join('\n'),
    )
    check(!readdirSync(dir).includes('data') && !readdirSync(dir).includes('logs'), 'clean folder')

    // Step 3: up -d (builds the image on first use), then healthy.
    let t = performance.now()
    await dc(['up', '-d'], 20 * 60_000)
    log(`up -d (image built) in ${((performance.now() - t) / 1000).toFixed(1)}s`)
    const base = `http://127.0.0.1:${port}`
    const healthy = async () => {
      const start = performance.now()
      const cid = (await dc(['ps', '-q', 'claude-relay'])).out.trim()
      check(cid, 'no claude-relay container')
      await until('the relay container to be healthy', 120_000, async () => {
        const state = (
          await run([
            'docker',
            'inspect',
            '--format',
            '{{.State.Health.Status}} {{.RestartCount}} {{.State.Status}}',
            cid,
          ])
        ).out.trim()
        const [health, restarts] = state.split(' ')
        if (Number(restarts) > 0 || health === 'unhealthy')
          fail(
            `relay container is ${state} (restarting?):\n${(await dc(['logs', '--tail', '60', 'claude-relay'])).out}`,
          )
        return health === 'healthy'
      })
      log(`healthy ${((performance.now() - start) / 1000).toFixed(1)}s after up -d returned`)
      return cid
    }
    await healthy()
    check((await fetch(`${base}/health`)).status === 200, '/health is 200')

    // Sign in, create an account that points at the fake upstream, and a key.
    const login = (await (
      await fetch(`${base}/web/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: adminPassword }),
      })
    ).json()) as { success?: boolean; token?: string }
    check(login.token, `sign-in with the .env credentials failed: ${JSON.stringify(login)}`)
    const admin = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${login.token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      const json = (await res.json()) as any
      check(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`)
      return json.data
    }
    // The host as containers see it: the address of the default bridge (docker0) on this
    // machine. It stays the same across down/up (the compose network is made anew by each up).
    const bridge =
      (
        await run([
          'docker',
          'network',
          'inspect',
          'bridge',
          '--format',
          '{{index .Options "com.docker.network.bridge.name"}}',
        ])
      ).out.trim() || 'docker0'
    // (node:os lists no interface that is down, as docker0 is while no container uses it.)
    const addr = await run(['ip', '-4', '-o', 'addr', 'show', 'dev', bridge], { allowFail: true })
    const gateway = /inet (\d+\.\d+\.\d+\.\d+)/.exec(addr.out)?.[1]
    check(gateway, `no IPv4 address on the bridge ${bridge}: ${addr.out}`)
    const upstreamUrl = `http://${gateway}:${new URL(up.url).port}`
    await admin('POST', '/admin/claude-console-accounts', {
      name: 'docker-check',
      apiUrl: upstreamUrl,
      apiKey: 'docker-check',
    })
    const key = (await admin('POST', '/admin/api-keys', { name: 'docker-check' })) as {
      id: string
      apiKey: string
    }
    const client = new Anthropic({ baseURL: `${base}/api`, apiKey: key.apiKey, maxRetries: 0 })
    const relayOnce = async (what: string) => {
      const msg = await client.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 16,
        messages: [{ role: 'user', content: `docker check: ${what}` }],
      })
      check(msg.type === 'message', `${what}: not a message: ${JSON.stringify(msg)}`)
      const stream = client.messages.stream({
        model: 'claude-sonnet-4-5',
        max_tokens: 16,
        messages: [{ role: 'user', content: `docker check (stream): ${what}` }],
      })
      const final = await stream.finalMessage()
      check(final.usage.output_tokens > 0, `${what}: streamed message without usage`)
    }
    await relayOnce('first run')
    check(up.received.length === 2, `the fake upstream got ${up.received.length} requests, not 2`)
    log(`relayed 2 requests through ${upstreamUrl} (the bridge gateway)`)
    const usageOf = async () =>
      (
        (await (
          await fetch(`${base}/api/v1/usage`, { headers: { 'x-api-key': key.apiKey } })
        ).json()) as any
      ).usage.total.requests as number
    await until('usage to count 2 requests', 15_000, async () => (await usageOf()) === 2)
    const historyOf = async () =>
      (
        (await (
          await fetch(`${base}/api/v1/request-history`, { headers: { 'x-api-key': key.apiKey } })
        ).json()) as any
      ).history as { status: string }[]
    await until('2 history records', 15_000, async () => (await historyOf()).length === 2)

    // The bind-mounted folders Docker created as root now hold what the relay wrote as `bun`.
    for (const folder of ['data', 'logs']) {
      const st = statSync(join(dir, folder))
      check(st.uid === 1000, `./${folder} belongs to uid ${st.uid}, not bun (1000)`)
    }
    check(
      readdirSync(join(dir, 'logs')).some((f) => f.startsWith('relay')),
      `no log file in ./logs: ${readdirSync(join(dir, 'logs')).join(', ')}`,
    )

    // down, up -d: the key, its usage and its history come back from ./redis_data.
    t = performance.now()
    await dc(['down'], 120_000)
    log(`down in ${((performance.now() - t) / 1000).toFixed(1)}s`)
    check((await dc(['ps', '-q'])).out.trim() === '', 'containers left after down')
    await dc(['up', '-d'], 5 * 60_000)
    await healthy()
    check((await usageOf()) === 2, 'usage did not survive down/up')
    check((await historyOf()).length === 2, 'history did not survive down/up')
    await relayOnce('after down/up')
    await until('usage to count 4 requests', 15_000, async () => (await usageOf()) === 4)
    log('the key, its usage and history survived down/up; the key still relays')

    // logs and ps work.
    const logs = (await dc(['logs', '--no-color', 'claude-relay'])).out
    check(/listening|started|ready/i.test(logs), `logs show no start:\n${logs.slice(-2000)}`)
    check(!/EACCES|permission denied/i.test(logs), `logs show a permission error:\n${logs}`)
    const ps = (await dc(['ps'])).out
    check(/healthy/.test(ps) && /redis/.test(ps), `ps does not show both services:\n${ps}`)

    // A rebuild after a run by docker users who are not root: ./data (0700, the relay keeps it
    // private), ./logs and ./redis_data now hold files of bun and redis, and must stay out of the
    // build context. Compose builds as `nobody` (its own context walk honours .dockerignore);
    // the docker CLI's legacy builder stats every top-level folder even when it is ignored, so it
    // builds as uid 1000, the first user of a stock host, who owns ./data as the image's `bun`.
    const dockerGroup = (await run(['getent', 'group', 'docker'], { allowFail: true })).out.trim()
    if (dockerGroup) {
      chmodSync(dir, 0o755)
      mkdirSync(join(dir, '.docker-config'), { recursive: true })
      chmodSync(join(dir, '.docker-config'), 0o777)
    }
    const as = (uid: string, gid: string) =>
      dockerGroup ? ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--groups=docker', '--'] : []
    const env = { DOCKER_CONFIG: join(dir, '.docker-config') }
    await run(
      [...as('nobody', 'nogroup'), ...compose, '-p', project, '-f', COMPOSE_FILE, 'build'],
      {
        cwd: dir,
        timeoutMs: 10 * 60_000,
        env,
      },
    )
    const rebuild = await run([...as('1000', '1000'), 'docker', 'build', '-t', image, '.'], {
      cwd: dir,
      timeoutMs: 10 * 60_000,
      env,
    })
    const context = /Sending build context to Docker daemon\s+([\d.]+)\s*([kMG]?B)/.exec(
      rebuild.out,
    )
    check(context, `no build context size in:\n${rebuild.out.slice(0, 2000)}`)
    const mb = Number(context![1]) * ({ B: 1e-6, kB: 1e-3, MB: 1, GB: 1000 }[context![2]!] ?? 1)
    check(mb < 20, `build context is ${context![1]} ${context![2]}`)
    log(
      `rebuild after the run${dockerGroup ? ' (compose as nobody, docker build as uid 1000)' : ''}: build context ${context![1]} ${context![2]}`,
    )
    ok = true
  } catch (err) {
    if (err instanceof CheckError) console.error(`\nDOCKER CHECK FAILED: ${err.message}`)
    else console.error('\nDOCKER CHECK FAILED:', err)
    const logs = await dc(['logs', '--no-color', '--tail', '100']).catch(() => null)
    if (logs) console.error(`--- compose logs ---\n${logs.out}`)
  } finally {
    up.stop()
    if (process.env.KEEP === '1') {
      log(`kept ${dir} (project ${project}, image ${image})`)
    } else {
      await dc(['down', '-v', '--remove-orphans'], 120_000).catch((e) => console.error(e))
      // --no-prune keeps the layers, so the next run builds from cache.
      await run(['docker', 'rmi', '--no-prune', image], { allowFail: true })
      rmSync(dir, { recursive: true, force: true })
    }
  }
  log(ok ? 'docker check passed' : 'docker check failed')
  process.exit(ok ? 0 : 1)
}

await main()
