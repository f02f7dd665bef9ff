import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { envExample, readmeWithTable } from '../../../scripts/gen-config-docs.ts'
import { chooseStorage, loadConfig, parseSize } from '../../../src/config/load.ts'
import { CONFIG_KEYS } from '../../../src/config/schema.ts'
import { ConfigError } from '../../../src/core/errors.ts'

const root = join(import.meta.dir, '../../..')

describe('loadConfig', () => {
  test('an empty environment gives a working default configuration', () => {
    const c = loadConfig({})
    expect(c.PORT).toBe(3000)
    expect(c.HOST).toBe('0.0.0.0')
    expect(c.DATA_DIR).toBe('./data')
    expect(c.TIMEZONE_OFFSET).toBe(8)
    expect(c.JWT_SECRET).toBeUndefined()
  })

  test('strings are converted to numbers and booleans, blanks count as unset', () => {
    const c = loadConfig({
      PORT: '8080',
      REDIS_ENABLE_TLS: 'true',
      TIMEZONE_OFFSET: '-5.5',
      REDIS_HOST: '  ',
    })
    expect(c.PORT).toBe(8080)
    expect(c.REDIS_ENABLE_TLS).toBe(true)
    expect(c.TIMEZONE_OFFSET).toBe(-5.5)
    expect(c.REDIS_HOST).toBeUndefined()
  })

  test('bad values stop the start with one error naming every bad variable', () => {
    let err: unknown
    try {
      loadConfig({ PORT: 'abc', ENCRYPTION_KEY: 'short', LOG_LEVEL: 'loud', TIMEZONE_OFFSET: '99' })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ConfigError)
    const issues = (err as ConfigError).issues.join('\n')
    for (const name of ['PORT', 'ENCRYPTION_KEY', 'LOG_LEVEL', 'TIMEZONE_OFFSET'])
      expect(issues).toContain(name)
    expect((err as ConfigError).issues.length).toBe(4)
  })
})

describe('chooseStorage', () => {
  const join2 = (d: string, f: string) => `${d}/${f}`
  test('defaults to SQLite under DATA_DIR', () => {
    expect(chooseStorage(loadConfig({ DATA_DIR: '/srv/x' }), join2)).toEqual({
      kind: 'sqlite',
      path: '/srv/x/relay.db',
    })
  })
  test('REDIS_URL selects Redis as given', () => {
    expect(chooseStorage(loadConfig({ REDIS_URL: 'redis://r:6380/2' }), join2)).toMatchObject({
      kind: 'redis',
      url: 'redis://r:6380/2',
    })
  })
  test('the deploy guide REDIS_HOST variables build a URL with an encoded password', () => {
    const c = loadConfig({
      REDIS_HOST: 'redis',
      REDIS_PORT: '6379',
      REDIS_PASSWORD: 'p@ss/w',
      REDIS_DB: '3',
    })
    expect(chooseStorage(c, join2)).toEqual({
      kind: 'redis',
      url: 'redis://:p%40ss%2Fw@redis:6379/3',
      tls: false,
      prefix: 'crs',
    })
  })
  test('REDIS_CLUSTER makes the Redis of REDIS_URL or REDIS_HOST a cluster seed', () => {
    expect(
      chooseStorage(
        loadConfig({ REDIS_URL: 'rediss://u:p@r1:7000', REDIS_CLUSTER: 'true' }),
        join2,
      ),
    ).toEqual({
      kind: 'redis',
      url: 'rediss://u:p@r1:7000',
      tls: true,
      prefix: 'crs',
      cluster: { nodes: [] },
    })
    expect(
      chooseStorage(
        loadConfig({
          REDIS_HOST: 'r1',
          REDIS_PORT: '7000',
          REDIS_CLUSTER_NODES: 'r2:7001, r3:7002',
        }),
        join2,
      ),
    ).toMatchObject({ url: 'redis://r1:7000/0', cluster: { nodes: ['r2:7001', 'r3:7002'] } })
  })
  test('REDIS_CLUSTER_NODES alone selects a cluster, with REDIS_PASSWORD and REDIS_ENABLE_TLS', () => {
    const c = loadConfig({
      REDIS_CLUSTER_NODES: '[fd00::1]:7000,r2:7001',
      REDIS_PASSWORD: 's3cret',
      REDIS_ENABLE_TLS: 'true',
    })
    expect(chooseStorage(c, join2)).toEqual({
      kind: 'redis',
      url: 'rediss://:s3cret@[fd00::1]:7000/0',
      tls: true,
      prefix: 'crs',
      cluster: { nodes: ['r2:7001'] },
    })
  })
  test('a cluster refuses a database other than 0, and a malformed node list is a config error', () => {
    const join = join2
    expect(() =>
      chooseStorage(loadConfig({ REDIS_URL: 'redis://r:7000/2', REDIS_CLUSTER: 'true' }), join),
    ).toThrow('REDIS_URL: a Redis Cluster has only database 0 (got 2)')
    expect(() =>
      chooseStorage(loadConfig({ REDIS_HOST: 'r', REDIS_DB: '1', REDIS_CLUSTER: 'true' }), join),
    ).toThrow('REDIS_DB: a Redis Cluster has only database 0 (got 1)')
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'r1:7000,r2' })).toThrow(ConfigError)
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'r1:7000,r2' })).toThrow('REDIS_CLUSTER_NODES')
  })
})

describe('parseSize', () => {
  test('reads k, m and g suffixes', () => {
    expect(parseSize('10m')).toBe(10 * 1024 * 1024)
    expect(parseSize('512K')).toBe(512 * 1024)
    expect(parseSize('7')).toBe(7)
    expect(() => parseSize('ten')).toThrow('Cannot parse size')
  })
})

describe('generated docs', () => {
  test('.env.example lists exactly the schema variables, in order', () => {
    const text = readFileSync(join(root, '.env.example'), 'utf8')
    expect(text).toBe(envExample())
    const keys = [...text.matchAll(/^# ([A-Z0-9_]+)=/gm)].map((m) => m[1])
    expect(keys).toEqual(CONFIG_KEYS)
  })
  test('the README configuration table matches the schema', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    expect(readme).toBe(readmeWithTable(readme))
  })
})
