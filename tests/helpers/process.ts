/** Runs the real service as a child process (`bun src/main.ts`). */
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, waitForHttp } from './net.ts'

const main = join(import.meta.dir, '../../src/main.ts')

/** A relay process. */
export interface RelayProcess {
  url: string
  proc: ReturnType<typeof Bun.spawn>
  /** The working dir (holds `data/` in SQLite mode); pass it again to restart on the same data. */
  cwd: string
  stop(signal?: NodeJS.Signals): Promise<number>
}

/** Options of {@link spawnRelay}. */
export interface SpawnRelayOptions {
  /** Working dir (default: a new temp dir); reuse a previous process's `cwd` to keep its data. */
  cwd?: string
}

/** Starts `bun src/main.ts` with `env` on a free port and waits for /health. */
export async function spawnRelay(
  env: Record<string, string>,
  options: SpawnRelayOptions = {},
): Promise<RelayProcess> {
  const port = await freePort()
  const cwd = options.cwd ?? mkdtempSync(join(tmpdir(), 'crs-proc-'))
  const proc = Bun.spawn([process.execPath, main], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      JWT_SECRET: 'process-test-jwt-secret-0123456789abcdef',
      ENCRYPTION_KEY: 'process-test-encryption-key-0123456789',
      ADMIN_PASSWORD: 'process-test-password',
      // As npm start and the Docker image do (Bun's fetch default is 256 requests in flight).
      BUN_CONFIG_MAX_HTTP_REQUESTS: '4096',
      UPSTREAM_ALLOW_HOSTS: '127.0.0.1,localhost,::1',
      ...env,
    },
    stdout: 'ignore',
    stderr: 'inherit',
  })
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(`${url}/health`, 10_000)
  return {
    url,
    proc,
    cwd,
    async stop(signal = 'SIGTERM') {
      proc.kill(signal)
      return proc.exited
    },
  }
}

/** Resident memory (VmRSS) of a process in bytes. */
export function rssOf(pid: number): number {
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  return Number(kb ?? 0) * 1024
}

/** Signs in to a relay process and returns an admin helper. */
export async function adminOf(url: string) {
  const login = await fetch(`${url}/web/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'process-test-password' }),
  })
  const { token } = (await login.json()) as { token: string }
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return (await res.json()) as any
  }
}

/**
 * Through a running relay process: adds a console account `name` pointing at `upstreamUrl`, creates
 * a key, sends one streamed request; returns the response status, content type and text.
 */
export async function relayStreamedOnce(url: string, upstreamUrl: string, name: string) {
  const admin = await adminOf(url)
  await admin('POST', '/admin/claude-console-accounts', { name, apiUrl: upstreamUrl, apiKey: name })
  const key = (await admin('POST', '/admin/api-keys', { name })).data.apiKey as string
  const res = await fetch(`${url}/api/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': key },
    body: JSON.stringify({
      model: 'claude-sonnet-4-6',
      max_tokens: 5,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    }),
  })
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() }
}
