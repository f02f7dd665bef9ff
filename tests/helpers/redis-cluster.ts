/**
 * A private Redis Cluster for tests: `masters` redis-server processes in cluster mode on free
 * ports (each also needs its bus port, port + 10000), joined with `redis-cli --cluster create`
 * (no replicas), ready once every node reports `cluster_state:ok`. A node can be killed (a crash)
 * and started again on the same port and cluster config; with `persist` it keeps its data.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Redis from 'ioredis'
import { freePort } from './net.ts'
import { redisServerArgs, waitForRedis } from './redis-server.ts'

/** A running test cluster. */
export interface RedisCluster {
  /** `host:port` of every master. */
  nodes: string[]
  /** Index in `nodes` of the master serving `key`. */
  nodeOf(key: string): Promise<number>
  /** Kills node `i` (SIGKILL, a crash) and waits for it to exit. */
  kill(i: number): Promise<void>
  /** Starts node `i` again on its port and config; resolves once the cluster is whole again. */
  restart(i: number): Promise<void>
  /** Kills every node and removes their dirs. */
  stop(): Promise<void>
}

/** Options of {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** Masters (at least 3, Redis' minimum). Default 3. */
  masters?: number
  /** Append-only files fsynced on every write, so a killed node keeps its data. Default false. */
  persist?: boolean
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await freePort()
    if (port > 55_000 || taken.has(port)) continue
    if (await portFree(port + 10_000)) return port
  }
  throw new Error('no free port pair for a cluster node')
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })
}

/** Starts and joins a cluster. */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3
  const dir = mkdtempSync(join(tmpdir(), 'crs-cluster-'))
  const taken = new Set<number>()
  const procs: (ReturnType<typeof Bun.spawn> | null)[] = []
  const ports: number[] = []
  const stop = async () => {
    for (const p of procs) p?.kill('SIGKILL')
    await Promise.all(procs.map((p) => p?.exited))
    rmSync(dir, { recursive: true, force: true })
  }
  const spawn = (port: number) =>
    Bun.spawn(
      [
        ...redisServerArgs(port, dir, options.persist === true),
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        '2000',
        // Nodes share one dir: each its own append-only files.
        '--appendfilename',
        `appendonly-${port}.aof`,
        '--appenddirname',
        `aof-${port}`,
      ],
      { cwd: dir, stdout: 'ignore', stderr: 'ignore' },
    )
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freeClusterPort(taken)
      taken.add(port)
      ports.push(port)
      procs.push(spawn(port))
    }
    await Promise.all(ports.map((p) => waitForRedis(p)))
    const nodes = ports.map((p) => `127.0.0.1:${p}`)
    const create = Bun.spawn(
      ['redis-cli', '--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'],
      { stdout: 'pipe', stderr: 'pipe' },
    )
    if ((await create.exited) !== 0)
      throw new Error(
        `redis-cli --cluster create failed: ${await new Response(create.stderr).text()}`,
      )
    await waitForClusterOk(ports)
    return {
      nodes,
      async nodeOf(key) {
        const client = new Redis(ports[0]!, '127.0.0.1', { maxRetriesPerRequest: 0 })
        try {
          const slot = (await client.cluster('KEYSLOT', key)) as number
          const ranges = await client.cluster('SLOTS')
          const owner = ranges.find(([from, to]) => slot >= from && slot <= to)
          return ports.indexOf(Number(owner?.[2]?.[1]))
        } finally {
          client.disconnect()
        }
      },
      async kill(i) {
        const p = procs[i]
        procs[i] = null
        p?.kill('SIGKILL')
        await p?.exited
      },
      async restart(i) {
        procs[i] = spawn(ports[i]!)
        await waitForRedis(ports[i]!, 10_000)
        await waitForClusterOk(ports, 30_000)
      },
      stop,
    }
  } catch (err) {
    await stop()
    throw err
  }
}

/** Waits until every node says `cluster_state:ok` and knows every slot. */
async function waitForClusterOk(ports: number[], timeoutMs = 15_000): Promise<void> {
  const t0 = Date.now()
  for (const port of ports) {
    const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0 })
    try {
      for (;;) {
        const info = (await client.cluster('INFO')) as string
        if (info.includes('cluster_state:ok') && info.includes('cluster_slots_ok:16384')) break
        if (Date.now() - t0 > timeoutMs)
          throw new Error(`redis cluster node ${port} not ready: ${info.split('\r\n')[0]}`)
        await Bun.sleep(50)
      }
    } finally {
      client.disconnect()
    }
  }
}
