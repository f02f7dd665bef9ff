/**
 * @module
 * Pure configuration loading: environment map in, validated Config out, or one ConfigError that
 * names every bad variable.
 */
import { Value } from '@sinclair/typebox/value'
import { ConfigError } from '../core/errors.ts'
import { CONFIG_KEYS, type Config, ConfigSchema } from './schema.ts'
import { normaliseSeedEnv } from './seed-env.ts'

/** Reads, converts and validates the environment. Empty strings count as unset. */
export function loadConfig(given: Record<string, string | undefined>): Config {
  const env = normaliseSeedEnv(given)
  const raw: Record<string, unknown> = {}
  for (const key of CONFIG_KEYS) {
    const v = env[key]
    if (v !== undefined && v.trim() !== '') raw[key] = v.trim()
  }
  const converted = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, raw))
  const issues = new Map<string, string>()
  for (const err of Value.Errors(ConfigSchema, converted)) {
    const name = err.path.replace(/^\//, '') || '(root)'
    if (!issues.has(name))
      issues.set(name, `${name}=${JSON.stringify(raw[name] ?? '')}: ${err.message}`)
  }
  if (issues.size > 0) throw new ConfigError([...issues.values()])
  return converted as Config
}

/** How state is stored, derived from the configuration. */
export type StorageChoice =
  | {
      kind: 'redis'
      url: string
      tls: boolean
      prefix: string
      /** A Redis Cluster: `url` is one seed node, `nodes` (host:port) more. */
      cluster?: { nodes: string[] }
    }
  | { kind: 'sqlite'; path: string }

/**
 * Picks the storage backend: REDIS_URL, else REDIS_HOST, else REDIS_CLUSTER_NODES (a cluster),
 * else SQLite under DATA_DIR. REDIS_CLUSTER or REDIS_CLUSTER_NODES make the Redis one a cluster.
 */
export function chooseStorage(
  config: Config,
  joinPath: (dir: string, file: string) => string,
): StorageChoice {
  const nodes = (config.REDIS_CLUSTER_NODES ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean)
  const cluster = config.REDIS_CLUSTER || nodes.length > 0 ? { nodes } : undefined
  if (cluster) {
    const db = config.REDIS_URL
      ? /^rediss?:\/\/[^/]*\/(\d+)/.exec(config.REDIS_URL)?.[1]
      : String(config.REDIS_DB)
    if (db && db !== '0')
      throw new ConfigError([
        `${config.REDIS_URL ? 'REDIS_URL' : 'REDIS_DB'}: a Redis Cluster has only database 0 (got ${db})`,
      ])
  }
  if (config.REDIS_URL)
    return {
      kind: 'redis',
      url: config.REDIS_URL,
      tls: config.REDIS_URL.startsWith('rediss:'),
      prefix: config.REDIS_PREFIX,
      ...(cluster ? { cluster } : {}),
    }
  const host = config.REDIS_HOST ? `${config.REDIS_HOST}:${config.REDIS_PORT}` : nodes[0]
  if (host) {
    const auth = config.REDIS_PASSWORD ? `:${encodeURIComponent(config.REDIS_PASSWORD)}@` : ''
    const scheme = config.REDIS_ENABLE_TLS ? 'rediss' : 'redis'
    const bracketed = /^[^[].*:.*:/.test(host) ? host.replace(/^(.*):(\d+)$/, '[$1]:$2') : host
    return {
      kind: 'redis',
      url: `${scheme}://${auth}${bracketed}/${config.REDIS_DB}`,
      tls: config.REDIS_ENABLE_TLS,
      prefix: config.REDIS_PREFIX,
      ...(cluster ? { cluster: { nodes: config.REDIS_HOST ? nodes : nodes.slice(1) } } : {}),
    }
  }
  return { kind: 'sqlite', path: joinPath(config.DATA_DIR, 'relay.db') }
}

/** Parses sizes like `10m`, `512k`, `1g` into bytes. */
export function parseSize(text: string): number {
  const m = /^([0-9]+)([kmg]?)$/i.exec(text.trim())
  if (!m)
    throw new RangeError(`Cannot parse size "${text}": expected a number with optional k, m or g`)
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[
    m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'
  ]
  return Number(m[1]) * mult
}
