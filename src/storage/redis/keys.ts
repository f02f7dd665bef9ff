/**
 * @module
 * Every Redis key and pub/sub channel name, built from the configured prefix. No other module
 * builds keys. The pattern is `${prefix}:${entity}:${id}[:${facet}]`; keys that Lua scripts touch
 * together share a hash tag so the scripts stay Redis Cluster safe: everything per API key lives
 * under `{k:<keyId>}`, account leases and account usage under `{a:<accountId>}`, history indexes
 * under `{h}`.
 *
 * On a Redis Cluster (`cluster: true`) a MULTI or a script must stay in one slot, so two more
 * groups get a tag of their own: the catalog (API keys, accounts, groups, settings) lives under
 * `{c}`, written together in MULTIs, and each history record under `{h}` with its indexes, written
 * by one script. A cluster therefore has its own key names; a single-node keyspace is not read
 * by a cluster relay.
 */
import type { CounterScope } from '../../usage/model.ts'

/** Escapes glob metacharacters so a literal string can be used in a SCAN MATCH pattern. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`)
}

/** Builds the keys of one prefix, for one node or (`cluster`) a Redis Cluster. */
export function createRedisKeys(prefix: string, options: { cluster?: boolean } = {}) {
  const k = (keyId: string) => `${prefix}:{k:${keyId}}`
  const a = (accountId: string) => `${prefix}:{a:${accountId}}`
  const h = `${prefix}:{h}`
  /** Head of catalog keys: `${prefix}`, or `${prefix}:{c}` on a cluster. */
  const c = options.cluster ? `${prefix}:{c}` : prefix
  /** Head of history record keys: `${prefix}`, or `${prefix}:{h}` on a cluster. */
  const r = options.cluster ? h : prefix
  return {
    prefix,

    /** `${prefix}:key:<id>`: JSON of an ApiKey. */
    key: (id: string) => `${c}:key:${id}`,
    /** `${prefix}:key:by-hash:<sha256>`: id of the key with that hash. */
    keyByHash: (hash: string) => `${c}:key:by-hash:${hash}`,
    /** `${prefix}:keys`: ZSET of key ids scored by creation time (epoch ms). */
    keyList: () => `${c}:keys`,
    /**
     * `${prefix}:keys:last-used`: HASH key id → epoch ms of its last use. Kept apart from the key's
     * JSON so recording a use never rewrites (and never undoes an edit of) the key; reads take the
     * later of this and the JSON's `lastUsedAt`.
     */
    keyLastUsed: () => `${c}:keys:last-used`,

    /** `${prefix}:account:<id>`: JSON of an Account. */
    account: (id: string) => `${c}:account:${id}`,
    /** `${prefix}:accounts`: ZSET of account ids scored by creation time. */
    accountList: () => `${c}:accounts`,
    /** `${prefix}:account-state:<id>`: HASH of the AccountState fields. */
    accountState: (id: string) => `${c}:account-state:${id}`,
    /** `${prefix}:group:<id>`: JSON of an AccountGroup. */
    group: (id: string) => `${c}:group:${id}`,
    /** `${prefix}:groups`: ZSET of group ids scored by creation time. */
    groupList: () => `${c}:groups`,

    /** `${prefix}:{k:<keyId>}:leases`: ZSET of lease ids scored by expiry (epoch ms). */
    keyLeases: (keyId: string) => `${k(keyId)}:leases`,
    /** `${prefix}:{k:<keyId>}:window`: HASH {start, requests, tokens, costNanos}. */
    keyWindow: (keyId: string) => `${k(keyId)}:window`,
    /** `${prefix}:{k:<keyId>}:sticky:<sessionHash>`: account id the session is pinned to. */
    sticky: (keyId: string, sessionHash: string) => `${k(keyId)}:sticky:${sessionHash}`,
    /** `${prefix}:{a:<accountId>}:leases`: ZSET of account lease ids scored by expiry. */
    accountLeases: (accountId: string) => `${a(accountId)}:leases`,

    /**
     * The HASH of one usage counter:
     * - key: `${prefix}:{k:<keyId>}:usage:<period>`
     * - key-model: `${prefix}:{k:<keyId>}:usage:model:<model>:<period>`
     * - account: `${prefix}:{a:<accountId>}:usage:<period>`
     * - account-model: `${prefix}:{a:<accountId>}:usage:model:<model>:<period>`
     * - model: `${prefix}:usage:model:<model>:<period>`
     * - global: `${prefix}:usage:global:<period>`
     */
    counter: (scope: CounterScope, id: string, period: string, model = '') => {
      switch (scope) {
        case 'key':
          return `${k(id)}:usage:${period}`
        case 'key-model':
          return `${k(id)}:usage:model:${model}:${period}`
        case 'account':
          return `${a(id)}:usage:${period}`
        case 'account-model':
          return `${a(id)}:usage:model:${model}:${period}`
        case 'model':
          return `${prefix}:usage:model:${id}:${period}`
        case 'global':
          return `${prefix}:usage:global:${period}`
      }
    },
    /**
     * `${prefix}:usage-idx:<scope>:<period>`: SET of the subjects with a counter in that scope and
     * period; members are the id, or JSON `[id, model]` for the `*-model` scopes.
     */
    counterIndex: (scope: CounterScope, period: string) => `${prefix}:usage-idx:${scope}:${period}`,
    /** `${prefix}:usage-idx:`: what every counterIndex key starts with. */
    counterIndexHead: () => `${prefix}:usage-idx:`,
    /**
     * SET of the models of one subject in a period (`*-model` scopes only):
     * `${prefix}:{k:<keyId>}:usage-idx:model:<period>` or
     * `${prefix}:{a:<accountId>}:usage-idx:model:<period>`.
     */
    subjectModelIndex: (scope: 'key-model' | 'account-model', id: string, period: string) =>
      `${scope === 'key-model' ? k(id) : a(id)}:usage-idx:model:${period}`,
    /**
     * `${prefix}:usage-batch:<batchId>`: marker written in the same transaction as a usage batch
     * (expires after an hour), so a batch retried after a lost reply is not counted twice.
     */
    usageBatch: (batchId: string) => `${prefix}:usage-batch:${batchId}`,
    /** SCAN patterns of every usage key (counters and model indexes) of a key or an account. */
    subjectUsagePatterns: (scope: 'key' | 'account', id: string) => {
      const base = scope === 'key' ? k(escapeGlob(id)) : a(escapeGlob(id))
      return { counters: `${base}:usage:*`, indexes: `${base}:usage-idx:*` }
    },

    /** `${prefix}:hist:<id>`: HASH {s: summary JSON, b: body JSON, z: stored bytes}. */
    history: (id: string) => `${r}:hist:${id}`,
    /** `${prefix}:{h}:idx:all`: ZSET of every history id scored by startTime. */
    historyAll: () => `${h}:idx:all`,
    /** `${prefix}:{h}:idx:key:<keyId>`: ZSET of history ids of a key, scored by startTime. */
    historyByKey: (keyId: string) => `${h}:idx:key:${keyId}`,
    /** `${prefix}:{h}:idx:account:<accountId>`: ZSET of history ids of an account. */
    historyByAccount: (accountId: string) => `${h}:idx:account:${accountId}`,
    /** `${prefix}:{h}:idx:model:<model>`: ZSET of history ids of a model. */
    historyByModel: (model: string) => `${h}:idx:model:${model}`,
    /** `${prefix}:{h}:idx:outcome:<outcome>`: ZSET of history ids with that outcome. */
    historyByOutcome: (outcome: string) => `${h}:idx:outcome:${outcome}`,
    /** `${prefix}:{h}:bytes`: running total of stored history bytes (INCRBY/DECRBY). */
    historyBytes: () => `${h}:bytes`,
    /**
     * HASH of the history records of one UTC hour (`hour` = floor(startTime / 3,600,000)), for all
     * records or those of one filter value:
     * - all: `${prefix}:{h}:agg:all:<hour>`
     * - key: `${prefix}:{h}:agg:key:<keyId>:<hour>`
     * - account: `${prefix}:{h}:agg:account:<accountId>:<hour>`
     * - model: `${prefix}:{h}:agg:model:<model>:<hour>`
     * - outcome: `${prefix}:{h}:agg:outcome:<outcome>:<hour>`
     *
     * Integer fields (absent = 0): `n` records, `o:<outcome>` and `s:<status>` counts,
     * `mr:<model>` / `mt:<model>` / `mc:<model>` requests, tokens and cost nanos per model, `in`,
     * `out`, `cc` (cache create 5m + 1h), `cr` token sums, `cost` nanos, `dur` duration µs, `tf`
     * ttfb µs and `tn` records with a ttfb.
     */
    historyAgg: (
      dim: 'all' | 'key' | 'account' | 'model' | 'outcome',
      value: string,
      hour: number,
    ) => (dim === 'all' ? `${h}:agg:all:${hour}` : `${h}:agg:${dim}:${value}:${hour}`),
    /** `${prefix}:{h}:agg-ready`: "1" once every stored history record is in the hourly aggregates. */
    historyAggReady: () => `${h}:agg-ready`,

    /** `${prefix}:setting:<name>`: JSON of a settings document. */
    setting: (name: string) => `${c}:setting:${name}`,
    /** `${prefix}:audit`: ZSET of audit entry JSON scored by `at`. */
    audit: () => `${prefix}:audit`,

    /**
     * `${prefix}:lock:<name>`: owner of a lock (SET NX PX). Names: `oauth-refresh:…` (one token
     * refresh per account), `session-reset:<accountId>:<stoppedUntil>` (the instance that sends a
     * 5-hour window's `session_reset` webhook; never released, expires after 5 hours).
     */
    lock: (name: string) => `${prefix}:lock:${name}`,
    /** `${prefix}:tmp:<name>`: a short-lived value or counter. */
    temp: (name: string) => `${prefix}:tmp:${name}`,
    /** `${prefix}:bus:<channel>`: pub/sub channel name. */
    channel: (channel: string) => `${prefix}:bus:${channel}`,
    /** The channel name without the `${prefix}:bus:` part, or null when it is not ours. */
    channelName: (redisChannel: string) => {
      const head = `${prefix}:bus:`
      return redisChannel.startsWith(head) ? redisChannel.slice(head.length) : null
    },
  }
}

/** The key builder of one prefix. */
export type RedisKeys = ReturnType<typeof createRedisKeys>
