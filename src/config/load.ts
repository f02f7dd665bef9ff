/**
 * @module
 * Pure configuration loading: environment map in, validated Config out, or one ConfigError that
 * names every bad variable.
 */
import { Value } from '@sinclair/typebox/value'
import { ConfigError } from '../core/errors.ts'
import { CONFIG_KEYS, type Config, ConfigSchema } from './schema.ts'

/** Reads, converts and validates the environment. Empty strings count as unset. */
export function loadConfig(env: Record<string, string | undefined>): Config {
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
  | { kind: 'redis'; url: string; tls: boolean; prefix: string }
  | { kind: 'sqlite'; path: string }

/** Picks the storage backend: REDIS_URL, else REDIS_HOST, else SQLite under DATA_DIR. */
export function chooseStorage(
  config: Config,
  joinPath: (dir: string, file: string) => string,
): StorageChoice {
  if (config.REDIS_URL)
    return {
      kind: 'redis',
      url: config.REDIS_URL,
      tls: config.REDIS_URL.startsWith('rediss:'),
      prefix: config.REDIS_PREFIX,
    }
  if (config.REDIS_HOST) {
    const auth = config.REDIS_PASSWORD ? `:${encodeURIComponent(config.REDIS_PASSWORD)}@` : ''
    const scheme = config.REDIS_ENABLE_TLS ? 'rediss' : 'redis'
    return {
      kind: 'redis',
      url: `${scheme}://${auth}${config.REDIS_HOST}:${config.REDIS_PORT}/${config.REDIS_DB}`,
      tls: config.REDIS_ENABLE_TLS,
      prefix: config.REDIS_PREFIX,
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
