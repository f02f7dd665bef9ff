// Over 400 lines: one pass over the old Redis; each record kind's mapping is a short function beside the others.
/**
 * @module
 * The import itself: scans the old Redis once, maps every supported record and upserts it into
 * our stores. Counters are applied as deltas against the import ledger (never added twice), and
 * records whose source did not change since the last run are left alone, so running it again
 * only brings over what changed. With `dryRun` it reads and counts, and writes nothing.
 */
import { createHash } from 'node:crypto'
import type { Account, AccountSecrets } from '../accounts/model.ts'
import { ACCOUNT_CHANNEL } from '../accounts/service.ts'
import type { AdminDoc } from '../admin/auth-service.ts'
import { type SecretBox, timingSafeEqual } from '../core/crypto.ts'
import type { PasswordHasher } from '../core/ports.ts'
import type { HistoryRecord } from '../history/model.ts'
import type { ApiKey } from '../keys/model.ts'
import { KEY_CHANNEL } from '../keys/service.ts'
import { normalizeSettings } from '../notify/config.ts'
import { WEBHOOK_SETTING } from '../notify/service.ts'
import type { Stores } from '../storage/stores.ts'
import {
  COUNTER_FIELDS,
  type CounterIncrement,
  type CounterRef,
  type Counters,
} from '../usage/model.ts'
import {
  addInto,
  type CounterTotal,
  counterExpiry,
  counterId,
  counterRefOf,
  countersFromHash,
  normaliseAndPrice,
  type PriceLookup,
  parseCounterKey,
  toArray,
  usdToNanos,
  withCanonicalModel,
} from './counters.ts'
import { GEMINI_ACCOUNT_IMPORTS } from './gemini-map.ts'
import { type Ledger, loadLedger } from './ledger.ts'
import { mapApiKey, mapConsoleAccount, mapGroup, mapHistory, mapOAuthAccount } from './map.ts'
import type { MappedAccount } from './map-account.ts'
import { OPENAI_ACCOUNT_SOURCES } from './map-openai.ts'
import {
  mapBedrockAccount,
  mapCcrAccount,
  mapDroidAccount,
  PLATFORM_ACCOUNT_PREFIXES,
} from './map-platforms.ts'
import { escapeGlob, type OldRedis, oldRecord } from './read-old.ts'
import { mapWebhookConfig } from './webhooks.ts'

/** Progress of a long phase (the CLI draws it). */
export interface ProgressSink {
  start(phase: string, total: number): void
  tick(n?: number): void
  done(): void
}

/** Counts of one kind of record. */
export interface KindReport {
  imported: number
  updated: number
  unchanged: number
  /** reason → count */
  skipped: Record<string, number>
}

/** What an import did (or, in a dry run, would do). */
export interface ImportReport {
  dryRun: boolean
  source: string
  scannedKeys: number
  kinds: Record<
    'groups' | 'accounts' | 'apiKeys' | 'counters' | 'history' | 'admin' | 'webhooks',
    KindReport
  >
  /** Old keys not imported, by family (sessions, indexes, runtime state…). */
  ignored: Record<string, number>
  /** Warnings and facts worth reading (one line each). */
  notes: string[]
  /** Account URLs (console apiUrl, proxy host) the outbound URL policy refuses. */
  refusedUrls: { accountId: string; name: string; field: string; value: string; reason: string }[]
}

/** The outbound URL policy as the importer uses it (`createUrlPolicy`'s interface). */
export interface ImportUrlPolicy {
  checkUrl(url: string): Promise<UrlVerdict> | UrlVerdict
  checkHost(host: string): Promise<UrlVerdict> | UrlVerdict
}

/** A URL policy's answer (the import only reads `ok` and `reason`). */
export type UrlVerdict = { ok: true } | { ok: false; reason: string }

/** Inputs of {@link importFromOld}. */
export interface ImportOptions {
  old: OldRedis
  /** Prefix of every old key ('' for a default claude-relay-service). */
  oldPrefix: string
  /** Ledger id of the source, e.g. `10.0.0.5:6379/0`. */
  source: string
  stores: Stores
  /** ENCRYPTION_KEY: must be the old system's. */
  encryptionKey: string
  box: SecretBox
  hasher: PasswordHasher
  tzOffsetHours: number
  /** TOKEN_USAGE_RETENTION: hour and day counters older than this are not imported. */
  retentionMs: number
  dryRun: boolean
  /** SHA-256 of ADMIN_PASSWORD when the relay takes it from the environment (kept in the admin doc). */
  adminEnvDigest: string | null
  /** data/init.json of the old system (plaintext admin credentials), when given. */
  initJson?: { adminUsername: string; adminPassword: string } | null
  now?: () => number
  progress?: ProgressSink
  /** Batch size of reads and writes. */
  batch?: number
  /**
   * Our price table: model names become the ones new traffic is counted under, and counters and
   * history records the old system stored no cost for are priced from their tokens.
   */
  pricing?: PriceLookup
  /**
   * The outbound URL policy admin-entered URLs get: an account whose apiUrl or proxy host it
   * refuses is imported as not schedulable and reported.
   */
  urlPolicy?: ImportUrlPolicy
}

/** Account kinds of other families: old key prefix, report name, mapper. */
const PLATFORM_ACCOUNT_IMPORTS = [
  ...OPENAI_ACCOUNT_SOURCES.map((s) => ({ prefix: s.prefix, kind: s.label, map: s.map })),
  ...GEMINI_ACCOUNT_IMPORTS,
]

/** Old account tables this relay cannot serve (counted in the report); every kind is served now. */
const UNSUPPORTED_ACCOUNTS: string[] = []

function emptyKind(): KindReport {
  return { imported: 0, updated: 0, unchanged: 0, skipped: {} }
}

function skip(k: KindReport, reason: string, n = 1): void {
  k.skipped[reason] = (k.skipped[reason] ?? 0) + n
}

/** JSON with object keys sorted and undefined dropped: equal values give equal text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const out: Record<string, unknown> = {}
      for (const key of Object.keys(v).sort()) out[key] = (v as Record<string, unknown>)[key]
      return out
    }
    return v
  })
}

function fingerprint(value: unknown): string {
  return createHash('sha256').update(stableJson(value)).digest('hex').slice(0, 20)
}

function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size))
  return out
}

/**
 * The old hashes at `keyOf(item)` for each item, read `batch` at a time and yielded with their
 * item (a progress tick each); a key that is gone or not a hash is counted as skipped in `kind`.
 */
async function* oldHashes<T>(
  old: OldRedis,
  items: T[],
  keyOf: (item: T) => string,
  read: { batch: number; kind: KindReport; progress?: ProgressSink },
): AsyncGenerator<[T, Record<string, string>]> {
  for (const part of chunks(items, read.batch)) {
    const hashes = await old.hashes(part.map(keyOf))
    for (const [i, item] of part.entries()) {
      read.progress?.tick()
      const h = hashes[i]
      if (h) yield [item, h]
      else skip(read.kind, 'empty or not a hash')
    }
  }
}

const rest = (key: string, prefix: string) => {
  if (!key.startsWith(prefix)) return null
  const id = key.slice(prefix.length)
  return id && !id.includes(':') ? id : null
}

/** Old keys sorted into what the importer reads. */
interface Classified {
  apiKeys: string[]
  hashMap: boolean
  oauth: string[]
  console: string[]
  /** Bedrock, CCR and Droid accounts: old key prefix and id. */
  platformAccounts: { prefix: keyof typeof PLATFORM_ACCOUNT_PREFIXES; id: string }[]
  /** Accounts of {@link PLATFORM_ACCOUNT_IMPORTS}, by id and kind. */
  platform: { id: string; kind: string }[]
  groupSet: boolean
  groups: Set<string>
  counters: string[]
  history: string[]
  admin: boolean
  webhookConfig: boolean
  unsupported: Record<string, number>
  ignored: Record<string, number>
}

function classify(keys: Iterable<string>): Classified {
  const c: Classified = {
    apiKeys: [],
    hashMap: false,
    oauth: [],
    console: [],
    platformAccounts: [],
    platform: [],
    groupSet: false,
    groups: new Set(),
    counters: [],
    history: [],
    admin: false,
    webhookConfig: false,
    unsupported: {},
    ignored: {},
  }
  const byId: [string, (id: string) => void][] = [
    ['apikey:', (id) => (id === 'hash_map' ? undefined : c.apiKeys.push(id))],
    ['claude:account:', (id) => c.oauth.push(id)],
    ['claude_console_account:', (id) => c.console.push(id)],
    ...PLATFORM_ACCOUNT_IMPORTS.map((k): [string, (id: string) => void] => [
      k.prefix,
      (id) => c.platform.push({ id, kind: k.kind }),
    ]),
    ['account_group:', (id) => c.groups.add(id)],
    ['account_group_members:', (id) => c.groups.add(id)],
    ['request_history:', (id) => c.history.push(id)],
    ...Object.keys(PLATFORM_ACCOUNT_PREFIXES).map(
      (p) =>
        [p, (id: string) => c.platformAccounts.push({ prefix: p as 'ccr_account:', id })] as [
          string,
          (id: string) => void,
        ],
    ),
  ]
  for (const k of keys) {
    if (k === 'apikey:hash_map') c.hashMap = true
    else if (k === 'account_groups') c.groupSet = true
    else if (k === 'session:admin_credentials') c.admin = true
    else if (k === 'webhook_config:default') c.webhookConfig = true
    else if (k.startsWith('usage:') || k.startsWith('account_usage:')) c.counters.push(k)
    else {
      const hit = byId.find(([p]) => rest(k, p) !== null)
      if (hit) {
        hit[1](rest(k, hit[0]) ?? '')
        continue
      }
      const un = UNSUPPORTED_ACCOUNTS.find((p) => rest(k, p))
      if (un) c.unsupported[un.slice(0, -1)] = (c.unsupported[un.slice(0, -1)] ?? 0) + 1
      else {
        const family = k.split(':')[0] ?? k
        c.ignored[family] = (c.ignored[family] ?? 0) + 1
      }
    }
  }
  return c
}

/** Imports everything supported from the old Redis into `stores`. */
export async function importFromOld(options: ImportOptions): Promise<ImportReport> {
  const { old, stores, dryRun, box } = options
  const prefix = options.oldPrefix
  const now = options.now ?? Date.now
  const batch = options.batch ?? 200
  const progress = options.progress
  const report: ImportReport = {
    dryRun,
    source: options.source,
    scannedKeys: 0,
    kinds: {
      groups: emptyKind(),
      accounts: emptyKind(),
      apiKeys: emptyKind(),
      counters: emptyKind(),
      history: emptyKind(),
      admin: emptyKind(),
      webhooks: emptyKind(),
    },
    ignored: {},
    notes: [],
    refusedUrls: [],
  }
  const note = (line: string) => report.notes.push(line)
  const K = (key: string) => prefix + key

  // 1. One SCAN over the old keyspace (a key may be returned twice: dedupe).
  const seen = new Set<string>()
  progress?.start('scanning old keys', await old.size())
  for await (const keys of old.scan(`${escapeGlob(prefix)}*`)) {
    for (const k of keys) if (k.startsWith(prefix)) seen.add(k.slice(prefix.length))
    progress?.tick(keys.length)
  }
  progress?.done()
  report.scannedKeys = seen.size
  const c = classify(seen)
  seen.clear()
  report.ignored = c.ignored
  for (const [family, n] of Object.entries(c.unsupported))
    skip(report.kinds.accounts, `${family} accounts are not served by this relay`, n)

  const ledger = await loadLedger(stores.settings, options.source)
  const changedAccounts: string[] = []
  let keysChanged = false

  // 2. Groups and membership.
  const groupIds = new Set(c.groups)
  if (c.groupSet)
    for (const id of (await old.sets([K('account_groups')]))[0] ?? []) groupIds.add(id)
  const gids = [...groupIds].sort()
  const groupHashes = await old.hashes(gids.map((g) => K(`account_group:${g}`)))
  const groupMembers = await old.sets(gids.map((g) => K(`account_group_members:${g}`)))
  const memberOf = new Map<string, string[]>()
  const knownGroups = new Set<string>()
  for (const [i, gid] of gids.entries()) {
    const h = groupHashes[i] ?? null
    const members = (groupMembers[i] ?? []).sort()
    const mapped = mapGroup(gid, h)
    if (!mapped.ok) {
      skip(report.kinds.groups, mapped.reason)
      continue
    }
    knownGroups.add(gid)
    for (const m of members) memberOf.set(m, [...(memberOf.get(m) ?? []), gid])
    const fp = fingerprint({ h })
    const existing = await stores.accounts.getGroup(gid)
    const outcome = decide(
      existing,
      mapped.value,
      ledger.get<string>('entities', `group:${gid}`) === fp,
    )
    count(report.kinds.groups, outcome)
    if (outcome !== 'unchanged' && !dryRun) await stores.accounts.putGroup(mapped.value)
    ledger.set('entities', `group:${gid}`, fp)
  }

  const accountIds = new Set<string>()
  /**
   * Stores one mapped account: its notes, the URL policy (a refused URL makes it not
   * schedulable), the ledger. `source` is what its fingerprint covers, given the refusals.
   */
  const importAccount = async (
    id: string,
    label: string,
    mapped: { value: MappedAccount; notes: string[] },
    source: (refused: number) => unknown,
  ) => {
    accountIds.add(id)
    for (const n of mapped.notes) note(`${label} ${id}: ${n}`)
    const refused = await refusedUrls(options.urlPolicy, mapped.value.account)
    for (const r of refused) {
      report.refusedUrls.push(r)
      note(`account ${id} ("${r.name}"): ${r.field} refused: ${r.reason} Not schedulable.`)
    }
    if (refused.length) mapped.value.account.schedulable = false
    const fp = fingerprint(source(refused.length))
    const r = await upsertAccount(stores, box, mapped.value, ledger, fp, dryRun)
    count(report.kinds.accounts, r)
    if (r !== 'unchanged') changedAccounts.push(id)
    ledger.set('entities', `account:${id}`, fp)
  }

  // 3. Accounts (OAuth and console).
  const accountJobs = [
    ...c.oauth.sort().map((id) => ({ id, kind: 'oauth' as string })),
    ...c.console.sort().map((id) => ({ id, kind: 'console' as string })),
    ...c.platform.sort((a, b) => (a.id < b.id ? -1 : 1)),
  ]
  const importOf = (kind: string) => PLATFORM_ACCOUNT_IMPORTS.find((k) => k.kind === kind)
  progress?.start('accounts', accountJobs.length)
  const accountKey = (j: { id: string; kind: string }) =>
    K(
      j.kind === 'oauth'
        ? `claude:account:${j.id}`
        : j.kind === 'console'
          ? `claude_console_account:${j.id}`
          : `${importOf(j.kind)?.prefix}${j.id}`,
    )
  const accountRead = { batch, kind: report.kinds.accounts, progress }
  for await (const [job, h] of oldHashes(old, accountJobs, accountKey, accountRead)) {
    const groups = (memberOf.get(job.id) ?? []).filter((g) => knownGroups.has(g))
    const mapper =
      job.kind === 'oauth'
        ? mapOAuthAccount
        : job.kind === 'console'
          ? mapConsoleAccount
          : (importOf(job.kind)?.map ?? mapConsoleAccount)
    const mapped = mapper(job.id, h, {
      groupIds: groups,
      encryptionKey: options.encryptionKey,
      now: now(),
    })
    if (!mapped.ok) {
      skip(report.kinds.accounts, `${job.kind}: ${mapped.reason}`)
      continue
    }
    // A refusal is part of what was imported: once the policy allows the URL, a new run
    // imports the account again as the source has it.
    await importAccount(job.id, 'account', mapped, (refused) =>
      refused ? { h, groups, refused } : { h, groups },
    )
  }
  progress?.done()

  // 3b. Bedrock (a JSON string each), CCR and Droid accounts.
  const platformJobs = c.platformAccounts.sort((a, b) => (a.id < b.id ? -1 : 1))
  progress?.start('Bedrock, CCR and Droid accounts', platformJobs.length)
  for (const part of chunks(platformJobs, batch)) {
    const keys = part.map((j) => K(`${j.prefix}${j.id}`))
    const docs = await old.strings(keys.filter((_, i) => part[i]!.prefix === 'bedrock_account:'))
    const hashes = await old.hashes(keys.filter((_, i) => part[i]!.prefix !== 'bedrock_account:'))
    for (const job of part) {
      progress?.tick()
      const bedrock = job.prefix === 'bedrock_account:'
      const raw = bedrock ? docs.shift() : hashes.shift()
      const kind = PLATFORM_ACCOUNT_PREFIXES[job.prefix]
      if (!raw) {
        skip(report.kinds.accounts, `${kind}: empty or not of the old type`)
        continue
      }
      const groups = (memberOf.get(job.id) ?? []).filter((g) => knownGroups.has(g))
      const mapped = bedrock
        ? mapBedrockAccount(job.id, raw as string, groups, options.encryptionKey)
        : kind === 'ccr'
          ? mapCcrAccount(job.id, raw as Record<string, string>, {
              groupIds: groups,
              encryptionKey: options.encryptionKey,
              now: now(),
            })
          : mapDroidAccount(job.id, raw as Record<string, string>, groups, options.encryptionKey)
      if (!mapped.ok) {
        skip(report.kinds.accounts, `${kind}: ${mapped.reason}`)
        continue
      }
      await importAccount(job.id, `${kind} account`, mapped, (refused) => ({
        raw,
        groups,
        refused,
      }))
    }
  }
  progress?.done()

  // 4. API keys (hash → id from apikey:hash_map, record from apikey:<id>).
  const hashesOf = new Map<string, string[]>()
  if (c.hashMap) {
    const map = (await old.hashes([K('apikey:hash_map')]))[0] ?? {}
    const keyIdSet = new Set(c.apiKeys)
    let orphans = 0
    for (const [hash, id] of Object.entries(map)) {
      if (!keyIdSet.has(id)) orphans++
      hashesOf.set(id, [...(hashesOf.get(id) ?? []), hash.toLowerCase()])
    }
    if (orphans)
      note(`${orphans} apikey:hash_map entries point at keys that no longer exist (ignored)`)
  }
  progress?.start('API keys', c.apiKeys.length)
  let expired = 0
  let deleted = 0
  const keyRead = { batch, kind: report.kinds.apiKeys, progress }
  for await (const [id, h] of oldHashes(
    old,
    c.apiKeys.sort(),
    (id) => K(`apikey:${id}`),
    keyRead,
  )) {
    const mapped = mapApiKey(id, h, hashesOf.get(id) ?? [])
    if (!mapped.ok) {
      skip(report.kinds.apiKeys, mapped.reason)
      continue
    }
    const key = mapped.value
    for (const n of mapped.notes) note(`key ${id}: ${n}`)
    if (key.isDeleted) deleted++
    else if (key.expiresAt && Date.parse(key.expiresAt) <= now()) expired++
    checkBinding(key, accountIds, knownGroups, note)
    const fp = fingerprint({ h, hashes: hashesOf.get(id) ?? [] })
    const existing = await stores.keys.get(id)
    let outcome: Outcome
    let next = key
    if (existing && ledger.get<string>('entities', `key:${id}`) === fp) outcome = 'unchanged'
    else {
      if (existing) next = mergeKey(existing, key)
      outcome = !existing
        ? 'imported'
        : stableJson(existing) === stableJson(next)
          ? 'unchanged'
          : 'updated'
    }
    count(report.kinds.apiKeys, outcome)
    if (outcome !== 'unchanged' && !dryRun) {
      await stores.keys.put(next)
      keysChanged = true
    }
    ledger.set('entities', `key:${id}`, fp)
  }
  progress?.done()
  if (deleted) note(`${deleted} soft-deleted keys imported as deleted (restorable in the admin UI)`)
  if (expired) note(`${expired} expired keys imported as they are (refused until renewed)`)

  // 5. Usage counters: absolute source values, applied as deltas against the ledger.
  await importCounters(options, c.counters, ledger, report, now())

  // 6. History records, deduplicated by id (the old index lists are not read).
  await importHistory(options, c.history.sort(), ledger, report)

  // 7. Admin credentials.
  await importAdmin(options, c.admin, ledger, report, now())

  // 8. Webhook configuration (switches, retry policy, platforms sealed under their old ids).
  if (c.webhookConfig) await importWebhooks(options, ledger, report, now())

  if (!dryRun) {
    const k = report.kinds
    await ledger.save({
      at: new Date(now()).toISOString(),
      counts: Object.fromEntries(
        Object.entries(k).map(([name, r]) => [
          name,
          {
            imported: r.imported,
            updated: r.updated,
            unchanged: r.unchanged,
            skipped: Object.values(r.skipped).reduce((a, b) => a + b, 0),
          },
        ]),
      ),
    })
    // Running relays drop their caches of what changed.
    if (keysChanged) await stores.coord.publish(KEY_CHANNEL, '*').catch(() => {})
    for (const id of changedAccounts)
      await stores.coord.publish(ACCOUNT_CHANNEL, `config:${id}`).catch(() => {})
  }
  return report
}

type Outcome = 'imported' | 'updated' | 'unchanged'

/** `webhook_config:default` into the `webhooks` settings document. */
async function importWebhooks(
  options: ImportOptions,
  ledger: Ledger,
  report: ImportReport,
  nowMs: number,
): Promise<void> {
  const kind = report.kinds.webhooks
  const text = (await options.old.strings([`${options.oldPrefix}webhook_config:default`]))[0]
  const raw = oldRecord(text ?? undefined)
  if (!raw) {
    skip(kind, 'webhook_config:default is not a JSON object')
    return
  }
  const fp = fingerprint(raw)
  const stored = await options.stores.settings.get(WEBHOOK_SETTING)
  if (stored && ledger.get<string>('entities', 'webhooks') === fp) {
    kind.unchanged++
    return
  }
  const mapped = await mapWebhookConfig(raw, normalizeSettings(stored), options.box, nowMs)
  for (const [reason, n] of Object.entries(mapped.skipped)) skip(kind, reason, n)
  if (!options.dryRun) await options.stores.settings.put(WEBHOOK_SETTING, mapped.doc)
  ledger.set('entities', 'webhooks', fp)
  count(kind, stored ? 'updated' : 'imported')
}

/** Version of the history mapping (2: priced, canonical model names, request headers kept). */
const HISTORY_MAPPING = 2

/** The account's URLs the outbound URL policy refuses (typed in, they would get a 400). */
async function refusedUrls(
  policy: ImportUrlPolicy | undefined,
  account: Omit<Account, 'secret'>,
): Promise<ImportReport['refusedUrls']> {
  if (!policy) return []
  const out: ImportReport['refusedUrls'] = []
  const base = { accountId: account.id, name: account.name }
  if (account.platform !== 'claude-oauth' && account.apiUrl) {
    const v = await policy.checkUrl(account.apiUrl)
    if (!v.ok) out.push({ ...base, field: 'apiUrl', value: account.apiUrl, reason: v.reason })
  }
  const host = account.proxy?.host?.trim()
  if (host) {
    const v = await policy.checkHost(host)
    if (!v.ok) out.push({ ...base, field: 'proxy.host', value: host, reason: v.reason })
  }
  return out
}

function count(k: KindReport, o: Outcome): void {
  k[o]++
}

function decide<T>(existing: T | null, next: T, ledgerSame: boolean): Outcome {
  if (!existing) return 'imported'
  if (ledgerSame) return 'unchanged'
  return stableJson(existing) === stableJson(next) ? 'unchanged' : 'updated'
}

function checkBinding(
  key: ApiKey,
  accounts: Set<string>,
  groups: Set<string>,
  note: (l: string) => void,
): void {
  const b = key.claudeAccountId
  if (b.startsWith('group:')) {
    if (!groups.has(b.slice(6))) note(`key ${key.id}: bound to unknown group ${b.slice(6)}`)
  } else if (b && !accounts.has(b)) note(`key ${key.id}: bound to unknown OAuth account ${b}`)
  const cb = key.claudeConsoleAccountId
  if (cb && !accounts.has(cb)) note(`key ${key.id}: bound to unknown console account ${cb}`)
}

/** Our key updated from the source, keeping what only we can know (later use, activation). */
function mergeKey(existing: ApiKey, next: ApiKey): ApiKey {
  const merged = { ...next, hint: existing.hint || next.hint }
  const used = (s: string | null) => (s ? Date.parse(s) : 0)
  if (used(existing.lastUsedAt) > used(next.lastUsedAt)) merged.lastUsedAt = existing.lastUsedAt
  if (existing.isActivated && !next.isActivated) {
    merged.isActivated = true
    merged.activatedAt = existing.activatedAt
    merged.expiresAt = existing.expiresAt
  }
  return merged
}

async function upsertAccount(
  stores: Stores,
  box: SecretBox,
  mapped: MappedAccount,
  ledger: Ledger,
  fp: string,
  dryRun: boolean,
): Promise<Outcome> {
  const id = mapped.account.id
  const existing = await stores.accounts.get(id)
  if (existing && ledger.get<string>('entities', `account:${id}`) === fp) return 'unchanged'
  let secrets: AccountSecrets = { ...mapped.secrets }
  let config = { ...mapped.account }
  if (existing) {
    let current: AccountSecrets | null = null
    try {
      current = JSON.parse(await box.decrypt(existing.secret)) as AccountSecrets
    } catch {
      current = null
    }
    // Tokens we refreshed after the old system did are newer: keep them.
    if (
      current &&
      existing.platform === 'claude-oauth' &&
      existing.tokenExpiresAt > config.tokenExpiresAt
    ) {
      secrets = { ...secrets, accessToken: current.accessToken, refreshToken: current.refreshToken }
      config = { ...config, tokenExpiresAt: existing.tokenExpiresAt, scopes: existing.scopes }
    }
    const { secret: _s, ...existingConfig } = existing
    if (
      current &&
      stableJson(existingConfig) === stableJson(config) &&
      stableJson(current) === stableJson(secrets)
    )
      return 'unchanged'
  }
  if (!dryRun) {
    const account: Account = { ...config, secret: await box.encrypt(JSON.stringify(secrets)) }
    await stores.accounts.put(account)
    if (!existing && Object.keys(mapped.state).length > 0)
      await stores.accounts.patchState(id, mapped.state)
  }
  return existing ? 'updated' : 'imported'
}

async function importCounters(
  options: ImportOptions,
  keys: string[],
  ledger: Ledger,
  report: ImportReport,
  nowMs: number,
): Promise<void> {
  const { old, stores, dryRun } = options
  const kind = report.kinds.counters
  const batch = options.batch ?? 200
  const totals = new Map<string, { ref: CounterRef; values: Partial<Counters> }>()
  const add = (ref: CounterRef, values: Partial<Counters>) => {
    const id = counterId(ref)
    const cur = totals.get(id)
    if (cur) addInto(cur.values, values)
    else totals.set(id, { ref, values: { ...values } })
  }
  const parsed: { key: string; ref: CounterRef; cost: boolean }[] = []
  for (const k of keys) {
    const p = parseCounterKey(k)
    if (!p) continue
    if (!p.ok) skip(kind, p.reason)
    else parsed.push({ key: k, ref: p.ref, cost: p.kind === 'cost' })
  }
  options.progress?.start('usage counters', parsed.length)
  for (const part of chunks(parsed, batch * 5)) {
    const hashKeys = part.filter((p) => !p.cost)
    const costKeys = part.filter((p) => p.cost)
    const hashes = await old.hashes(hashKeys.map((p) => options.oldPrefix + p.key))
    const costs = await old.strings(costKeys.map((p) => options.oldPrefix + p.key))
    hashKeys.forEach((p, i) => {
      const h = hashes[i]
      if (!h) skip(kind, 'usage key is empty or not a hash')
      else add(p.ref, countersFromHash(h))
    })
    costKeys.forEach((p, i) => {
      const v = costs[i]
      if (v === null || v === undefined) skip(kind, 'cost key is not a number string')
      else add(p.ref, { costNanos: usdToNanos(v) })
    })
    options.progress?.tick(part.length)
  }
  options.progress?.done()
  if (options.pricing) {
    const priced = normaliseAndPrice(totals.values(), options.pricing)
    totals.clear()
    for (const t of priced.totals) totals.set(counterId(t.ref), t)
    const r = priced.report
    if (r.renamed)
      note(
        report,
        `${r.renamed} per-model counters renamed to the model names new requests are counted under (e.g. dated names such as claude-sonnet-4-5-20250929 → claude-sonnet-4-5)`,
      )
    if (r.pricedModelRows || r.pricedAccountRows)
      note(
        report,
        `costs priced at import with this relay's price table (the old system stored none per model or account): ${r.pricedModelRows} per-model counters from their tokens at base rates, ${r.pricedAccountRows} per-account counters as the sum of that account's per-model counters`,
      )
    if (r.unpricedAccountRows)
      note(
        report,
        `${r.unpricedAccountRows} per-account counters (hourly ones: the old system kept no hourly per-model account counters) keep cost 0`,
      )
    if (r.unpricedModels.length)
      note(
        report,
        `models without a price (cost 0, counted as unpriced): ${r.unpricedModels.join(', ')}`,
      )
  }
  // The old system kept no global counters: they are the sum over keys, as its dashboard did.
  for (const { ref, values } of [...totals.values()]) {
    if (ref.scope !== 'key' || ref.period.startsWith('opus-')) continue
    add({ scope: 'global', id: 'all', period: ref.period }, values)
  }
  const increments: CounterIncrement[] = []
  if (options.pricing) moveRenamedCounters(options, totals, ledger, { increments, report, nowMs })
  for (const [id, { ref, values }] of [...totals.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const expiresAt = counterExpiry(ref.period, options.tzOffsetHours, options.retentionMs)
    if (expiresAt !== null && expiresAt <= nowMs) {
      skip(kind, 'older than TOKEN_USAGE_RETENTION')
      continue
    }
    const source = toArray(values, COUNTER_FIELDS)
    const before = ledger.get<number[]>('counters', id)
    const delta: Partial<Counters> = {}
    let changed = false
    COUNTER_FIELDS.forEach((f, i) => {
      const d = (source[i] ?? 0) - (before?.[i] ?? 0)
      if (d !== 0) {
        delta[f] = d
        changed = true
      }
    })
    if (!before) {
      if (!changed) {
        kind.unchanged++
        continue
      }
      kind.imported++
    } else if (changed) kind.updated++
    else {
      kind.unchanged++
      continue
    }
    increments.push({ ...ref, values: delta, expiresAt })
    ledger.set('counters', id, source)
  }
  if (!dryRun) {
    options.progress?.start('writing counters', increments.length)
    for (const part of chunks(increments, 500)) {
      await stores.usage.increment(part)
      options.progress?.tick(part.length)
    }
    options.progress?.done()
  }
}

/**
 * Counters an earlier run imported under a model name that is now renamed (a dated name): what
 * they added is taken back out (the renamed row is imported whole under its new name), and their
 * ledger entries are dropped, so a re-run leaves one row per model instead of two.
 */
function moveRenamedCounters(
  options: ImportOptions,
  totals: Map<string, CounterTotal>,
  ledger: Ledger,
  out: { increments: CounterIncrement[]; report: ImportReport; nowMs: number },
): void {
  const { increments, report, nowMs } = out
  const pricing = options.pricing
  if (!pricing) return
  let moved = 0
  for (const [id, before] of ledger.entries<number[]>('counters')) {
    if (totals.has(id)) continue
    const ref = counterRefOf(id)
    if (!ref || withCanonicalModel(pricing, ref) === ref) continue
    ledger.delete('counters', id)
    const expiresAt = counterExpiry(ref.period, options.tzOffsetHours, options.retentionMs)
    if (expiresAt !== null && expiresAt <= nowMs) continue
    const values: Partial<Counters> = {}
    COUNTER_FIELDS.forEach((f, i) => {
      if (before[i]) values[f] = -before[i]!
    })
    increments.push({ ...ref, values, expiresAt })
    moved++
  }
  if (moved)
    note(
      report,
      `${moved} counters imported earlier under dated model names were moved to the new names`,
    )
}

async function importHistory(
  options: ImportOptions,
  ids: string[],
  ledger: Ledger,
  report: ImportReport,
): Promise<void> {
  const { old, stores, dryRun } = options
  const kind = report.kinds.history
  const batch = options.batch ?? 200
  const done = new Set<string>()
  let pending = 0
  options.progress?.start('history records', ids.length)
  for (const part of chunks(ids, batch)) {
    const hashes = await old.hashes(part.map((id) => `${options.oldPrefix}request_history:${id}`))
    const writes: HistoryRecord[] = []
    const todo: { record: HistoryRecord; fp: string }[] = []
    for (const [i, id] of part.entries()) {
      const h = hashes[i]
      if (!h) {
        skip(kind, 'empty or not a hash')
        continue
      }
      const mapped = mapHistory(id, h)
      if (!mapped.ok) {
        skip(kind, mapped.reason)
        continue
      }
      const record = mapped.value
      if (options.pricing) {
        // Priced per request (long-context rates apply as they would have), under the model
        // name new requests are recorded with.
        const c = options.pricing.cost(record.model, {
          inputTokens: record.inputTokens,
          outputTokens: record.outputTokens,
          cacheCreate5mTokens: record.cacheCreate5mTokens,
          cacheCreate1hTokens: record.cacheCreate1hTokens,
          cacheReadTokens: record.cacheReadTokens,
        })
        record.model = c.model
        record.costNanos = c.costNanos
      }
      if (done.has(record.id)) {
        skip(kind, 'duplicate of a record already imported in this run')
        continue
      }
      done.add(record.id)
      if (h.status === 'pending') pending++
      // `v`: how records are mapped; a run with a newer mapping writes every record again.
      const fp = fingerprint({ h, v: HISTORY_MAPPING })
      if (ledger.get<string>('history', record.id) === fp) {
        kind.unchanged++
        continue
      }
      todo.push({ record, fp })
    }
    const existing = await Promise.all(todo.map((t) => stores.history.get(t.record.id)))
    todo.forEach(({ record, fp }, i) => {
      const ex = existing[i]
      if (!ex) kind.imported++
      else if (stableJson(ex) === stableJson(record)) kind.unchanged++
      else kind.updated++
      if (!ex || stableJson(ex) !== stableJson(record)) writes.push(record)
      ledger.set('history', record.id, fp)
    })
    if (writes.length && !dryRun) await stores.history.write(writes)
    options.progress?.tick(part.length)
  }
  options.progress?.done()
  if (pending) note(report, `${pending} history records were still pending: imported as errors`)
}

function note(report: ImportReport, line: string): void {
  report.notes.push(line)
}

async function importAdmin(
  options: ImportOptions,
  inSource: boolean,
  ledger: Ledger,
  report: ImportReport,
  nowMs: number,
): Promise<void> {
  const kind = report.kinds.admin
  const { stores, hasher, dryRun } = options
  let username: string
  let fp: string
  let makeHash: () => Promise<string>
  let sameHash: (hash: string) => Promise<boolean>
  if (options.initJson) {
    const { adminUsername, adminPassword } = options.initJson
    if (!adminUsername || !adminPassword) {
      skip(kind, 'init.json has no adminUsername/adminPassword')
      return
    }
    username = adminUsername
    fp = fingerprint({ init: [adminUsername, adminPassword] })
    makeHash = () => hasher.hash(adminPassword)
    sameHash = (hash) => hasher.verify(adminPassword, hash).catch(() => false)
  } else if (inSource) {
    const h = (await options.old.hashes([`${options.oldPrefix}session:admin_credentials`]))[0]
    const hash = h?.passwordHash ?? ''
    if (!h?.username || !/^\$(2[abxy]?|argon2(id|i|d))\$/.test(hash)) {
      skip(kind, 'session:admin_credentials has no username or bcrypt passwordHash')
      return
    }
    username = h.username
    fp = fingerprint({ redis: [h.username, hash] })
    makeHash = async () => hash
    sameHash = async (stored) => timingSafeEqual(stored, hash)
  } else {
    skip(kind, 'no session:admin_credentials in the source and no --init-json given')
    return
  }
  const existing = (await stores.settings.get('admin')) as AdminDoc | null
  if (existing && ledger.get<string>('entities', 'admin') === fp) {
    kind.unchanged++
    return
  }
  if (existing && existing.username === username && (await sameHash(existing.passwordHash))) {
    kind.unchanged++
    ledger.set('entities', 'admin', fp)
    return
  }
  if (!dryRun) {
    const doc: AdminDoc = {
      username,
      passwordHash: await makeHash(),
      // A new epoch signs out every session of the previous admin.
      sessionEpoch: (existing?.sessionEpoch ?? 0) + 1,
      envDigest: options.adminEnvDigest ?? existing?.envDigest ?? '',
      updatedAt: new Date(nowMs).toISOString(),
    }
    await stores.settings.put('admin', doc)
  }
  ledger.set('entities', 'admin', fp)
  count(kind, existing ? 'updated' : 'imported')
}
