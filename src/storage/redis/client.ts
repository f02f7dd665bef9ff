/**
 * @module
 * The ioredis connection of the Redis adapter: options (one node, or a Redis Cluster), Lua script
 * registration and typed script commands (ioredis module augmentation, so pipelines know them
 * too), the cluster-aware batch and SCAN helpers, and small reply helpers.
 */
import type { Static, TObject } from '@sinclair/typebox'
import Redis, { type ChainableCommander, Cluster, type Result } from 'ioredis'
import type { Logger } from '../../core/ports.ts'
import { SCRIPTS } from './scripts.ts'

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** See scripts.ts ADMIT; numkeys comes first. */
    crsAdmit(numKeys: number, ...args: (string | number)[]): Result<unknown, Context>
    /** See scripts.ts RENEW_LEASE. */
    crsRenewLease(
      key: string,
      leaseId: string,
      now: number,
      leaseMs: number,
    ): Result<number, Context>
    /** See scripts.ts ADD_WINDOW_USAGE. */
    crsAddWindowUsage(
      key: string,
      start: number,
      tokens: number,
      costNanos: number,
      batchId: string,
    ): Result<number, Context>
    /** See scripts.ts ACQUIRE_ACCOUNT_LEASE. */
    crsAcquireAccountLease(
      key: string,
      leaseId: string,
      limit: number,
      leaseMs: number,
      now: number,
    ): Result<number, Context>
    /** See scripts.ts RELEASE_LOCK. */
    crsReleaseLock(key: string, owner: string): Result<number, Context>
    /** See scripts.ts SUM_FIELD; numkeys comes first. */
    crsSumField(numKeys: number, ...args: string[]): Result<string[], Context>
    /** See scripts.ts CLAIM_STICKY. */
    crsClaimSticky(key: string, accountId: string, ttlMs: number): Result<string, Context>
    /** See scripts.ts INCREMENT_TEMP. */
    crsIncrementTemp(key: string, ttlMs: number): Result<number, Context>
    /** See scripts.ts RAISE_LAST_USED. */
    crsRaiseLastUsed(key: string, ...idMsPairs: (string | number)[]): Result<number, Context>
  }
}

/** The ioredis client type used by the repositories: one node, or a cluster. */
export type RedisClient = Redis | Cluster

/** Options of {@link createRedisClient}. */
export interface RedisClientOptions {
  /** The node (or, with `cluster`, one seed node): credentials and TLS come from it. */
  url: string
  /**
   * Connect to a Redis Cluster: `url` and these `host:port` nodes are the seeds the cluster's
   * layout is discovered from.
   */
  cluster?: { nodes: string[] }
  logger?: Logger
}

/**
 * Reconnect delay: 100 ms doubling up to 500 ms. With `maxRetriesPerRequest: 0` a command issued
 * while Redis is unreachable fails at the next failed reconnect attempt; auto-pipelining holds a
 * command behind the pipeline already queued, so it waits at most two of these (requests answer
 * 503 within about a second instead of queueing for several seconds).
 */
export function retryDelay(attempt: number): number {
  return Math.min(100 * 2 ** Math.min(attempt - 1, 3), 500)
}

/** Opens a connection (connecting immediately) with every script registered. */
export function createRedisClient(options: RedisClientOptions): RedisClient {
  const client = options.cluster
    ? openCluster(options.url, options.cluster.nodes)
    : openNode(options.url)
  for (const [name, script] of Object.entries(SCRIPTS)) client.defineCommand(name, script)
  attachLogging(client, options.logger, 'main')
  return client
}

function openNode(url: string): Redis {
  return new Redis(url, {
    lazyConnect: false,
    // 0 = fail pending commands on every failed (re)connect attempt rather than every third one:
    // with 2, commands queued during an outage waited up to 3 reconnect delays (~5 s measured).
    // Commands in flight when the connection drops are failed, not resent (callers retry).
    maxRetriesPerRequest: 0,
    enableOfflineQueue: true,
    retryStrategy: retryDelay,
    // Commands issued in the same tick share one socket write: at high request rates the
    // admission script, lease releases and batched writes of many requests travel together.
    enableAutoPipelining: true,
  })
}

/** `host:port` of a seed, with IPv6 literals in brackets (`[::1]:7000`). */
export function parseNode(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim())
  const port = m ? Number(m[3]) : 0
  if (!m || port < 1 || port > 65535)
    throw new RangeError(`Invalid Redis Cluster node "${text}": expected host:port`)
  return { host: (m[1] ?? m[2])!, port }
}

/** Seed nodes, credentials and TLS of a cluster connection. */
function clusterTarget(url: string, nodes: string[]) {
  const u = new URL(url)
  const db = u.pathname.replace(/^\//, '')
  if (db !== '' && db !== '0')
    throw new RangeError(`Redis Cluster has only database 0; the URL selects ${db}`)
  return {
    seeds: [
      { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 6379) },
      ...nodes.map(parseNode),
    ],
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    tls: u.protocol === 'rediss:' ? {} : undefined,
  }
}

function openCluster(url: string, nodes: string[]): Cluster {
  const { seeds, username, password, tls } = clusterTarget(url, nodes)
  return new Cluster(seeds, {
    // Same choices as for one node (see openNode): fail fast during an outage, share socket writes.
    enableOfflineQueue: true,
    enableAutoPipelining: true,
    // Auto-pipelining groups commands by the slot of their first argument. A script called with
    // its key count first would be grouped by the slot of that number and then refused for
    // keys on other nodes, so those scripts go alone, routed by their declared keys.
    autoPipeliningIgnoredCommands: Object.entries(SCRIPTS)
      .filter(([, script]) => !('numberOfKeys' in script))
      .map(([name]) => name),
    clusterRetryStrategy: retryDelay,
    // A slot moving or a failover in progress: ask again shortly, a few times. With 16 tries a
    // request whose master was down took up to 3.2 s to fail; with 6 it fails in 0.3-0.6 s.
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    maxRedirections: 6,
    scaleReads: 'master',
    redisOptions: { username, password, tls, maxRetriesPerRequest: 0 },
  })
}

/**
 * The connection that only SUBSCRIBEs (cache invalidations). One node: a duplicate of the
 * command connection. A cluster: a plain connection to one seed node, since a cluster PUBLISH
 * reaches the subscribers of every node; each reconnect attempt moves to the next node (the
 * seeds, then every node the cluster client knows), so a node that stays down is left behind. (The cluster client's own subscriber connection could
 * refuse a SUBSCRIBE sent while it ran its ready check, and the subscription was then lost.)
 */
export function createSubscriber(client: RedisClient, options: RedisClientOptions): Redis {
  if (!options.cluster) return (client as Redis).duplicate()
  const { seeds, username, password, tls } = clusterTarget(options.url, options.cluster.nodes)
  // The seeds, then every node the cluster client has discovered since.
  const candidates = () => {
    const known = new Map(seeds.map((n) => [`${n.host}:${n.port}`, n]))
    for (const node of (client as Cluster).nodes()) {
      const { host = '', port = 0 } = node.options
      known.set(`${host}:${port}`, { host, port })
    }
    return [...known.values()]
  }
  let at = 0
  const subscriber: Redis = new Redis({
    host: seeds[0]!.host,
    port: seeds[0]!.port,
    username,
    password,
    tls,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => {
      const nodes = candidates()
      at = (at + 1) % nodes.length
      subscriber.options.host = nodes[at]!.host
      subscriber.options.port = nodes[at]!.port
      return retryDelay(attempt)
    },
  })
  return subscriber
}

/** Whether the client talks to a Redis Cluster. */
export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster
}

/**
 * A pipeline whose commands may touch keys in different cluster slots. On one node it is a
 * plain pipeline. On a cluster, where a pipeline must stay on one node, the commands are sent
 * one by one in the same tick; auto-pipelining still groups them into one write per node. Not a
 * transaction either way; `exec()` answers like a pipeline's.
 */
export function spread(client: RedisClient): ChainableCommander {
  if (!isCluster(client)) return client.pipeline()
  const calls: [string, unknown[]][] = []
  const recorder: ChainableCommander = new Proxy({} as ChainableCommander, {
    get(_, name) {
      if (name === 'exec')
        return async () => {
          const replies = await Promise.allSettled(
            calls.map(([command, args]) =>
              (client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[
                command
              ]!(...args),
            ),
          )
          return replies.map((r) =>
            r.status === 'fulfilled' ? [null, r.value] : [r.reason as Error, null],
          )
        }
      if (name === 'length') return calls.length
      if (
        typeof name !== 'string' ||
        typeof (client as unknown as Record<string, unknown>)[name] !== 'function'
      )
        return undefined
      return (...args: unknown[]) => {
        calls.push([name, args])
        return recorder
      }
    },
  })
  return recorder
}

/** Logs connection errors and reconnects (once per state change, not per retry storm). */
export function attachLogging(client: RedisClient, logger: Logger | undefined, role: string): void {
  if (!logger) {
    // ioredis prints unhandled 'error' events; an empty listener keeps tests quiet.
    client.on('error', () => {})
    return
  }
  let lastError = ''
  client.on('error', (err: Error) => {
    if (err.message === lastError) return
    lastError = err.message
    logger.warn('redis connection error', { role, error: err.message })
  })
  client.on('ready', () => {
    if (lastError) logger.info('redis connection restored', { role })
    lastError = ''
  })
}

/** Runs a pipeline or transaction and returns its replies, throwing the first command error. */
export async function execAll(pipeline: ChainableCommander): Promise<unknown[]> {
  const results = await pipeline.exec()
  if (!results) throw new Error('redis transaction aborted')
  return results.map(([err, value]) => {
    if (err) throw err
    return value
  })
}

/**
 * The keys matching `pattern`, in batches, with SCAN (never KEYS); on a cluster every master is
 * scanned. A key may come twice (SCAN's guarantee); callers must not mind.
 */
export async function* scanKeys(
  client: RedisClient,
  pattern: string,
  batch = 500,
): AsyncGenerator<string[]> {
  for (const node of isCluster(client) ? client.nodes('master') : [client]) {
    let cursor = '0'
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', batch)
      cursor = next
      if (keys.length > 0) yield keys
    } while (cursor !== '0')
  }
}

/** Deletes every key matching `pattern` (see {@link scanKeys}); returns how many. */
export async function scanDelete(
  client: RedisClient,
  pattern: string,
  batch = 500,
): Promise<number> {
  let deleted = 0
  for await (const keys of scanKeys(client, pattern, batch)) {
    // On a cluster a slot may be moving: delete through the client, not the node scanned.
    const pipe = spread(client)
    for (const key of keys) pipe.unlink(key)
    for (const n of await execAll(pipe)) deleted += Number(n)
  }
  return deleted
}

/** Parses an integer reply field; missing or invalid → 0. */
export function toInt(value: unknown): number {
  if (value == null) return 0
  const n = Number(value)
  return Number.isFinite(n) ? n : 0
}

/**
 * Decodes a stored JSON record; top-level fields missing from it (added to the schema later) get
 * their schema default. Stored records are trusted, so nothing else is checked. TypeBox's
 * `Value.Default` is not used because it rewrites some union values (an object in an
 * `Array | Record` union becomes the array default).
 */
export function decodeRecord<S extends TObject>(schema: S, json: string): Static<S> {
  const value = JSON.parse(json) as Record<string, unknown>
  for (const [field, prop] of Object.entries(schema.properties)) {
    if (value[field] === undefined && 'default' in prop)
      value[field] = structuredClone(prop.default)
  }
  return value as Static<S>
}
