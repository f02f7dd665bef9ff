/**
 * @module
 * The admin's operations on API keys, with their rules: the list's filters, sorting (by any
 * column, cost over a named period included) and paging; batch create and edit (tags added,
 * removed or set); the trash (soft delete, restore, purge with usage); expiry changes and
 * activation; per-key model statistics. Answers are {@link keyView}s: never the hash.
 */
import { type Static, Type as T } from '@sinclair/typebox'
import { InvalidRequestError, NotFoundError } from '../core/errors.ts'
import type { Clock } from '../core/ports.ts'
import { literals } from '../core/schema.ts'
import { type Counters, emptyCounters } from '../usage/model.ts'
import { periodRange, type UsageService } from '../usage/service.ts'
import { UsageView, usageView } from '../usage/views.ts'
import { ApiKey } from './model.ts'
import type { KeyInput, KeyService } from './service.ts'

const DAY = 86_400_000

/** Status of a key as the list filters see it. */
export const KeyStatus = literals('active', 'disabled', 'expired', 'deleted', 'pending')
export type KeyStatus = Static<typeof KeyStatus>

/** An API key as the admin API shows it (never the hash). */
export const KeyView = T.Omit(ApiKey, ['hash'])
export type KeyView = Static<typeof KeyView>

/** A key of the list: its view, its status now and its usage over the list's period. */
export const KeyListItem = T.Composite([KeyView, T.Object({ status: KeyStatus, usage: UsageView })])
export type KeyListItem = Static<typeof KeyListItem>

/** One page of the key list. */
export const KeyPage = T.Object({
  items: T.Array(KeyListItem),
  pagination: T.Object({
    page: T.Integer(),
    pageSize: T.Integer(),
    total: T.Integer(),
    totalPages: T.Integer(),
  }),
  availableTags: T.Array(T.String(), { description: 'every tag of a key not in the trash' }),
})
export type KeyPage = Static<typeof KeyPage>

/** The columns the key list sorts by. */
export const KEY_SORT_COLUMNS = [
  'name',
  'createdAt',
  'expiresAt',
  'lastUsedAt',
  'isActive',
  'status',
  'cost',
  'requests',
  'tokens',
] as const
export type KeySortColumn = (typeof KEY_SORT_COLUMNS)[number]

/**
 * A named range of days (`today`, `7days`, `30days`, `monthly`, `custom` with start and end
 * dates, `all`); the first of the seed's aliases that is set wins.
 */
export interface RangeQuery {
  costTimeRange?: string
  timeRange?: string
  range?: string
  costStartDate?: string
  startDate?: string
  costEndDate?: string
  endDate?: string
}

/** What the key list reads (the admin API's query, already typed). */
export interface KeyListQuery extends RangeQuery {
  page?: number
  pageSize?: number
  sortBy?: KeySortColumn
  /** `asc`; anything else sorts descending. */
  sortOrder?: string
  search?: string
  /** `bindingAccount`: search the bound account ids instead of name, description, id, hint. */
  searchMode?: string
  tag?: string
  /** `true` or `false` (other values do not filter). */
  isActive?: string
  status?: string
}

/** A batch edit: fields to set on every key; `tagOperation` add or remove applies to `tags`. */
export type KeyBatchUpdate = KeyInput & { tagOperation?: string }

/** The result of one key of a batch edit. */
export interface KeyBatchResult {
  id: string
  ok: boolean
  error?: string
}

/** What the key admin needs. */
export interface KeyAdminDeps {
  keys: KeyService
  usage: UsageService
  clock: Clock
  /** The zone of days and months (hours east of UTC). */
  timezoneOffset: number
}

/** An API key as the admin API shows it (never the hash). */
export function keyView(key: ApiKey): KeyView {
  const { hash: _hash, ...rest } = key
  return rest
}

/** Status of a key as the list filters see it. */
export function keyStatus(k: ApiKey, now: number): KeyStatus {
  if (k.isDeleted) return 'deleted'
  if (!k.isActive) return 'disabled'
  if (k.expiresAt && Date.parse(k.expiresAt) <= now) return 'expired'
  if (k.expirationMode === 'activation' && !k.isActivated) return 'pending'
  return 'active'
}

/** Every tag of a key not in the trash, sorted. */
function tagsOf(all: ApiKey[]): string[] {
  return [...new Set(all.filter((k) => !k.isDeleted).flatMap((k) => k.tags))].sort()
}

/** Creates the key admin. */
export function createKeyAdmin(deps: KeyAdminDeps) {
  const { keys, usage, clock } = deps
  const tz = deps.timezoneOffset

  /** Day periods of a named range (today, 7days, 30days, monthly, custom, all). */
  function rangePeriods(q: RangeQuery): string[] {
    const now = clock.now()
    const range = q.costTimeRange ?? q.timeRange ?? q.range ?? 'all'
    if (range === 'all') return ['total']
    let from: number
    let to = now + 1
    if (range === 'today') from = now
    else if (range === '7days') from = now - 6 * DAY
    else if (range === '30days') from = now - 29 * DAY
    else if (range === 'monthly')
      return [`m:${new Date(now + tz * 3_600_000).toISOString().slice(0, 7)}`]
    else if (range === 'custom') {
      from = Date.parse(q.costStartDate ?? q.startDate ?? '')
      to = Date.parse(q.costEndDate ?? q.endDate ?? '') + DAY
      if (Number.isNaN(from) || Number.isNaN(to) || from >= to)
        throw new InvalidRequestError('startDate/endDate: expected two dates, start before end')
      if (to - from > 400 * DAY)
        throw new InvalidRequestError('startDate/endDate: at most 400 days')
    } else
      throw new InvalidRequestError(
        'costTimeRange: expected today, 7days, 30days, monthly, custom or all',
      )
    return periodRange(from, to, 'day', tz).map((p) => p.period)
  }

  /** The key `id`, or a 404. */
  async function found(id: string): Promise<ApiKey> {
    const key = await keys.get(id)
    if (!key) throw new NotFoundError(`Cannot find API key "${id}"`)
    return key
  }

  /** The keys a list query selects, before sorting. */
  function filtered(all: ApiKey[], q: KeyListQuery, now: number): ApiKey[] {
    const search = (q.search ?? '').trim().toLowerCase()
    let items = all.filter((k) => (q.status === 'deleted' ? k.isDeleted : !k.isDeleted))
    if (search) {
      items = items.filter((k) =>
        q.searchMode === 'bindingAccount'
          ? `${k.claudeAccountId} ${k.claudeConsoleAccountId}`.toLowerCase().includes(search)
          : `${k.name} ${k.description} ${k.id} ${k.hint}`.toLowerCase().includes(search),
      )
    }
    if (q.tag) items = items.filter((k) => k.tags.includes(q.tag!))
    if (q.isActive === 'true' || q.isActive === 'false')
      items = items.filter((k) => k.isActive === (q.isActive === 'true'))
    if (q.status && q.status !== 'deleted')
      items = items.filter((k) => keyStatus(k, now) === q.status)
    return items
  }

  return {
    keyView,
    rangePeriods,
    /** One page of keys: filtered, sorted (cost, requests and tokens over the query's range). */
    async list(q: KeyListQuery): Promise<KeyPage> {
      const now = clock.now()
      const pageSize = q.pageSize ?? 20
      const pageNo = q.page ?? 1
      const sortBy = q.sortBy ?? 'createdAt'
      const order = q.sortOrder === 'asc' ? 1 : -1
      const all = await keys.list()
      const items = filtered(all, q, now)
      const totals = await usage.sumBy('key', rangePeriods(q))
      const u = (k: ApiKey): Counters => totals.get(k.id) ?? emptyCounters()
      const val = (k: ApiKey): string | number => {
        switch (sortBy) {
          case 'cost':
            return u(k).costNanos
          case 'requests':
            return u(k).requests
          case 'tokens':
            return u(k).inputTokens + u(k).outputTokens
          case 'isActive':
            return k.isActive ? 1 : 0
          case 'status':
            return keyStatus(k, now)
          default:
            return k[sortBy] ?? ''
        }
      }
      items.sort((a, b) => {
        const x = val(a)
        const y = val(b)
        return (x < y ? -1 : x > y ? 1 : 0) * order || a.id.localeCompare(b.id)
      })
      const total = items.length
      return {
        items: items.slice((pageNo - 1) * pageSize, pageNo * pageSize).map((k) => ({
          ...keyView(k),
          status: keyStatus(k, now),
          usage: usageView(u(k)),
        })),
        pagination: { page: pageNo, pageSize, total, totalPages: Math.ceil(total / pageSize) },
        availableTags: tagsOf(all),
      }
    },
    /** Every tag in use by a key not in the trash. */
    async tags(): Promise<string[]> {
      return tagsOf(await keys.list())
    },
    /** Keys in the trash. */
    async deleted(): Promise<KeyView[]> {
      return (await keys.list()).filter((k) => k.isDeleted).map(keyView)
    },
    /** One key with its status now. */
    async get(id: string): Promise<KeyView & { status: KeyStatus }> {
      const key = await found(id)
      return { ...keyView(key), status: keyStatus(key, clock.now()) }
    },
    /** Creates a key; `apiKey` is the plaintext, shown only here. */
    async create(input: KeyInput & { name: string }) {
      const { key, plaintext } = await keys.create(input)
      return { ...keyView(key), apiKey: plaintext }
    },
    /** Creates `count` keys named `baseName_1…n`; every plaintext is returned once. */
    async createMany(baseName: string, count: number, fields: KeyInput) {
      const created: { id: string; name: string; apiKey: string }[] = []
      for (let i = 1; i <= count; i++) {
        const { key, plaintext } = await keys.create({ ...fields, name: `${baseName}_${i}` })
        created.push({ id: key.id, name: key.name, apiKey: plaintext })
      }
      return created
    },
    /** Edits a key; returns the views before and after. */
    async update(id: string, input: KeyInput) {
      const before = await keys.get(id)
      const next = await keys.update(id, input)
      return { before: before && keyView(before), after: keyView(next) }
    },
    /**
     * Edits many keys, each on its own: a key that fails is reported and the others go on (a
     * field the key service refuses fails the whole batch). `onEdit` sees each edit.
     */
    async updateMany(
      ids: string[],
      updates: KeyBatchUpdate,
      onEdit: (id: string, before: KeyView, after: KeyView) => void,
    ): Promise<KeyBatchResult[]> {
      const { tagOperation, ...fields } = updates
      const results: KeyBatchResult[] = []
      for (const id of ids) {
        try {
          const current = await found(id)
          const patch: KeyInput = { ...fields }
          if (fields.tags && tagOperation === 'add')
            patch.tags = [...new Set([...current.tags, ...fields.tags])]
          else if (fields.tags && tagOperation === 'remove')
            patch.tags = current.tags.filter((x) => !fields.tags!.includes(x))
          const next = await keys.update(id, patch)
          onEdit(id, keyView(current), keyView(next))
          results.push({ id, ok: true })
        } catch (err) {
          if (err instanceof InvalidRequestError) throw err
          results.push({ id, ok: false, error: err instanceof Error ? err.message : String(err) })
        }
      }
      return results
    },
    /** Moves a key to the trash (it stops working; usage is kept). */
    async trash(id: string): Promise<KeyView> {
      return keyView(await keys.softDelete(id))
    },
    /** Moves many keys to the trash, skipping unknown ones; `onTrash` sees each. */
    async trashMany(ids: string[], onTrash: (id: string, key: KeyView) => void): Promise<number> {
      let deleted = 0
      for (const id of ids) {
        try {
          onTrash(id, keyView(await keys.softDelete(id)))
          deleted++
        } catch {}
      }
      return deleted
    },
    /** Restores a key from the trash. */
    async restore(id: string): Promise<KeyView> {
      return keyView(await keys.restore(id))
    },
    /** Deletes a trashed key for good, with its usage counters. */
    async purge(id: string) {
      const key = await keys.purge(id)
      const counters = await usage.purgeKey(id)
      return { key: keyView(key), counters }
    },
    /** Deletes every key in the trash for good, with its usage; returns how many. */
    async clearTrash(): Promise<number> {
      let purged = 0
      for (const k of (await keys.list()).filter((x) => x.isDeleted)) {
        await keys.purge(k.id)
        await usage.purgeKey(k.id)
        purged++
      }
      return purged
    },
    /** Replaces the secret of a key; the new plaintext is returned once. */
    async regenerate(id: string) {
      const { key, plaintext } = await keys.regenerate(id)
      return { ...keyView(key), apiKey: plaintext }
    },
    /**
     * Sets the expiry (`expiresAt`, null = never, makes the mode fixed) or activates an
     * activation-mode key now (its expiry counts from now). Returns the expiry before and the key.
     */
    async setExpiration(id: string, change: { expiresAt?: string | null; activateNow?: boolean }) {
      const before = await found(id)
      let patch: KeyInput
      if (change.activateNow === true) {
        const now = clock.now()
        const unit = before.activationUnit === 'hours' ? 3_600_000 : DAY
        patch = {
          isActivated: true,
          activatedAt: new Date(now).toISOString(),
          expiresAt: new Date(now + Math.max(1, before.activationDays) * unit).toISOString(),
        }
      } else if (change.expiresAt === null || typeof change.expiresAt === 'string') {
        if (typeof change.expiresAt === 'string' && Number.isNaN(Date.parse(change.expiresAt)))
          throw new InvalidRequestError('expiresAt: expected an ISO date or null')
        patch = { expiresAt: change.expiresAt, expirationMode: 'fixed' }
      } else throw new InvalidRequestError('expiresAt or activateNow: one is required')
      const next = await keys.update(id, patch)
      return { before: before.expiresAt, key: keyView(next) }
    },
    /**
     * Per-model usage of a key, most expensive first: `period` daily or monthly, else the
     * query's named range (monthly by default).
     */
    async modelStats(id: string, q: RangeQuery & { period?: string }) {
      await found(id)
      const range =
        q.period === 'monthly'
          ? 'monthly'
          : q.period === 'daily'
            ? 'today'
            : (q.costTimeRange ?? q.timeRange ?? 'monthly')
      const rows = await usage.keyModelsOver(id, rangePeriods({ ...q, costTimeRange: range }))
      return [...rows]
        .map(([model, c]) => ({ model, ...usageView(c) }))
        .sort((a, b) => b.cost - a.cost || b.requests - a.requests)
    },
  }
}

/** The key admin's interface. */
export type KeyAdmin = ReturnType<typeof createKeyAdmin>
