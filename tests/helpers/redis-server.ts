/**
 * A private `redis-server` for fault-injection tests: started on a free port, killed (SIGKILL, like
 * a crash) and restarted on the same port. With `persist` it writes an append-only file fsynced on
 * every write into its own temp dir, so data written before a crash survives the restart (the
 * realistic production setup); without it, it comes back empty.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './net.ts'

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Keep data across restarts (AOF, appendfsync always). Default true. */
  persist?: boolean
}

/** A private Redis server. */
export interface RedisServer {
  port: number
  url: string
  /** Its working dir (AOF files). */
  dir: string
  /** Whether the process is running. */
  running(): boolean
  /** Kills the process (default SIGKILL: a crash, nothing flushed) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Starts it again on the same port and dir; resolves once it answers PING. */
  restart(): Promise<void>
  /** Kills it and removes its dir. */
  stop(): Promise<void>
}

/** Resolves once a Redis on `port` answers PING with PONG, or throws after `timeoutMs`. */
export async function waitForRedis(port: number, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now()
  while (Date.now() - t0 < timeoutMs) {
    if (await pingOnce(port)) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`redis on port ${port} did not answer PING within ${timeoutMs} ms`)
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' })
    let data = ''
    const finish = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => finish(false))
    socket.on('error', () => finish(false))
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      data += chunk.toString()
      // "-LOADING …" while the AOF is replayed: not ready yet.
      if (data.includes('\r\n')) finish(data.startsWith('+PONG'))
    })
  })
}

/**
 * The command line of a private redis-server on `port` with its files in `dir`: no snapshots;
 * with `persist` an append-only file fsynced on every write.
 */
export function redisServerArgs(port: number, dir: string, persist: boolean): string[] {
  return [
    'redis-server',
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    persist ? 'yes' : 'no',
    '--appendfsync',
    'always',
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
  ]
}

/** Starts a private redis-server on a free port. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const persist = options.persist ?? true
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'crs-redis-'))
  const args = redisServerArgs(port, dir, persist)
  let proc: ReturnType<typeof Bun.spawn> | null = null
  const spawn = async () => {
    proc = Bun.spawn(args, { cwd: dir, stdout: 'ignore', stderr: 'ignore' })
    await waitForRedis(port)
  }
  await spawn()
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const p = proc
    if (!p) return
    proc = null
    p.kill(signal)
    await p.exited
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    running: () => proc !== null,
    kill,
    async restart() {
      await kill()
      await spawn()
    },
    async stop() {
      await kill()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
