/**
 * @module
 * The old usage keys (`usage:*`, `account_usage:*`, `usage:cost:*`, `usage:opus:*`) mapped to our
 * counters: scope, subject, model and period, plus the field values. Old date keys already use
 * TIMEZONE_OFFSET, so `2026-01-05` becomes `d:2026-01-05` and `2026-01-05:07` becomes
 * `h:2026-01-05T07`. Costs (USD floats) become integer nano-dollars.
 */
import { localDayStart } from '../core/time.ts'
import { type CounterRef, type Counters, emptyCounters } from '../usage/model.ts'
import type { TokenUsage } from '../usage/tokens.ts'
import { oldInt, oldNumber } from './read-old.ts'

/** What an old usage key holds. */
export type OldCounterKind = 'hash' | 'cost'

/** An old usage key resolved to our counter, or the reason it is not imported. */
export type ParsedCounterKey =
  | { ok: true; ref: CounterRef; kind: OldCounterKind; field?: 'costNanos' }
  | { ok: false; reason: string }

const D = '(\\d{4}-\\d{2}-\\d{2})'
const M = '(\\d{4}-\\d{2})'
const H = `${D}:(\\d{1,2})`
const ID = '([^:]+)'

function period(kind: string, m: RegExpExecArray, at: number): string {
  if (kind === 'daily') return `d:${m[at]}`
  if (kind === 'monthly') return `m:${m[at]}`
  return `h:${m[at]}T${String(m[at + 1]).padStart(2, '0')}`
}

const PER = { daily: D, monthly: M, hourly: H } as const
type Gran = keyof typeof PER
const GRANS = Object.keys(PER) as Gran[]

const HOURLY_MODEL = 'per-model hourly counters are not kept by this relay'

/** Resolves one old usage key (without the old prefix). null = not a usage key. */
export function parseCounterKey(key: string): ParsedCounterKey | null {
  if (!key.startsWith('usage:') && !key.startsWith('account_usage:')) return null
  let m: RegExpExecArray | null
  for (const g of GRANS) {
    // usage:model:<g>:<model>:<period> (global per model)
    m = new RegExp(`^usage:model:${g}:(.+):${PER[g]}$`).exec(key)
    if (m)
      return { ok: true, kind: 'hash', ref: { scope: 'model', id: m[1]!, period: period(g, m, 2) } }
    // usage:<keyId>:model:<g>:<model>:<period>
    m = new RegExp(`^usage:${ID}:model:${g}:(.+):${PER[g]}$`).exec(key)
    if (m) {
      if (g === 'hourly') return { ok: false, reason: HOURLY_MODEL }
      return {
        ok: true,
        kind: 'hash',
        ref: { scope: 'key-model', id: m[1]!, model: m[2]!, period: period(g, m, 3) },
      }
    }
    // usage:cost:<g>:<keyId>:<period>
    m = new RegExp(`^usage:cost:${g}:${ID}:${PER[g]}$`).exec(key)
    if (m)
      return {
        ok: true,
        kind: 'cost',
        field: 'costNanos',
        ref: { scope: 'key', id: m[1]!, period: period(g, m, 2) },
      }
    // usage:<g>:<keyId>:<period>
    m = new RegExp(`^usage:${g}:${ID}:${PER[g]}$`).exec(key)
    if (m)
      return { ok: true, kind: 'hash', ref: { scope: 'key', id: m[1]!, period: period(g, m, 2) } }
    // account_usage:model:<g>:<accountId>:<model>:<period>
    m = new RegExp(`^account_usage:model:${g}:${ID}:(.+):${PER[g]}$`).exec(key)
    if (m) {
      if (g === 'hourly') return { ok: false, reason: HOURLY_MODEL }
      return {
        ok: true,
        kind: 'hash',
        ref: { scope: 'account-model', id: m[1]!, model: m[2]!, period: period(g, m, 3) },
      }
    }
    // account_usage:<g>:<accountId>:<period>
    m = new RegExp(`^account_usage:${g}:${ID}:${PER[g]}$`).exec(key)
    if (m)
      return {
        ok: true,
        kind: 'hash',
        ref: { scope: 'account', id: m[1]!, period: period(g, m, 2) },
      }
  }
  m = /^usage:cost:total:([^:]+)$/.exec(key)
  if (m)
    return {
      ok: true,
      kind: 'cost',
      field: 'costNanos',
      ref: { scope: 'key', id: m[1]!, period: 'total' },
    }
  m = /^usage:opus:weekly:([^:]+):(\d{4})-W(\d{1,2})$/.exec(key)
  if (m)
    return {
      ok: true,
      kind: 'cost',
      field: 'costNanos',
      ref: { scope: 'key', id: m[1]!, period: `opus-w:${m[2]}-W${m[3]!.padStart(2, '0')}` },
    }
  m = /^usage:opus:total:([^:]+)$/.exec(key)
  if (m)
    return {
      ok: true,
      kind: 'cost',
      field: 'costNanos',
      ref: { scope: 'key', id: m[1]!, period: 'opus-total' },
    }
  m = /^account_usage:([^:]+)$/.exec(key)
  if (m) return { ok: true, kind: 'hash', ref: { scope: 'account', id: m[1]!, period: 'total' } }
  if (key.startsWith('usage:records:'))
    return { ok: false, reason: 'recent usage event lists are not imported (history is)' }
  m = /^usage:([^:]+)$/.exec(key)
  if (m) return { ok: true, kind: 'hash', ref: { scope: 'key', id: m[1]!, period: 'total' } }
  return { ok: false, reason: 'unrecognised usage key' }
}

/**
 * Our counter fields from an old usage hash (daily/monthly/hourly fields or the lifetime
 * `total*` fields). The old 5m/1h split is kept where present; cache creation without a split
 * counts as 5m.
 */
export function countersFromHash(h: Record<string, string>): Partial<Counters> {
  const f = (a: string, b: string) => oldInt(h[a] ?? h[b])
  let input = f('inputTokens', 'totalInputTokens')
  let output = f('outputTokens', 'totalOutputTokens')
  // Very old counters only had `tokens`: the old code counted those as output.
  if (!input && !output) output = f('tokens', 'totalTokens')
  input = Math.max(0, input)
  const cacheCreate = f('cacheCreateTokens', 'totalCacheCreateTokens')
  const e5 = f('ephemeral5mTokens', 'totalEphemeral5mTokens')
  const e1 = f('ephemeral1hTokens', 'totalEphemeral1hTokens')
  const totalCreate = Math.max(cacheCreate, e5 + e1)
  return {
    requests: f('requests', 'totalRequests'),
    inputTokens: input,
    outputTokens: output,
    cacheCreate5mTokens: totalCreate - e1,
    cacheCreate1hTokens: e1,
    cacheReadTokens: f('cacheReadTokens', 'totalCacheReadTokens'),
  }
}

/** USD (float string) → integer nano-dollars. */
export function usdToNanos(value: string | null | undefined): number {
  const usd = oldNumber(value)
  return usd > 0 ? Math.round(usd * 1e9) : 0
}

/** Identity string of a counter (ledger key). */
export function counterId(ref: CounterRef): string {
  return [ref.scope, ref.id, ref.model ?? '', ref.period].join('|')
}

/** Counter values as a fixed-order array (ledger form). */
export function toArray(c: Partial<Counters>, fields: readonly (keyof Counters)[]): number[] {
  return fields.map((f) => c[f] ?? 0)
}

/** Merges `b` into `a`. */
export function addInto(a: Partial<Counters>, b: Partial<Counters>): Partial<Counters> {
  for (const [k, v] of Object.entries(b) as [keyof Counters, number][]) a[k] = (a[k] ?? 0) + v
  return a
}

const DAY = 86_400_000

/** Start and end (epoch ms) of one of our periods in the zone `tz`; null for `total`. */
export function periodSpan(p: string, tz: number): { start: number; end: number } | null {
  let m = /^d:(\d{4}-\d{2}-\d{2})$/.exec(p)
  if (m) {
    const start = localDayStart(m[1]!, tz)
    return { start, end: start + DAY }
  }
  m = /^h:(\d{4}-\d{2}-\d{2})T(\d{2})$/.exec(p)
  if (m) {
    const start = localDayStart(m[1]!, tz) + Number(m[2]) * 3_600_000
    return { start, end: start + 3_600_000 }
  }
  m = /^m:(\d{4})-(\d{2})$/.exec(p)
  if (m) {
    const y = Number(m[1])
    const mo = Number(m[2])
    const off = tz * 3_600_000
    return { start: Date.UTC(y, mo - 1, 1) - off, end: Date.UTC(y, mo, 1) - off }
  }
  m = /^opus-w:(\d{4})-W(\d{2})$/.exec(p)
  if (m) {
    const y = Number(m[1])
    const jan4 = new Date(Date.UTC(y, 0, 4))
    const monday = jan4.getTime() - ((jan4.getUTCDay() || 7) - 1) * DAY
    const start = monday + (Number(m[2]) - 1) * 7 * DAY - tz * 3_600_000
    return { start, end: start + 7 * DAY }
  }
  return null
}

/**
 * When an imported counter expires, following the usage service's rules (hours and days after
 * the retention, months after at least 400 days, Opus weeks after 15 days); null = never.
 */
export function counterExpiry(p: string, tz: number, retentionMs: number): number | null {
  const span = periodSpan(p, tz)
  if (!span) return null
  if (p.startsWith('m:')) return span.end + Math.max(retentionMs, 400 * DAY)
  if (p.startsWith('opus-w:')) return span.end + 15 * DAY
  return span.end + retentionMs
}

/** A counter's identity parsed back from {@link counterId}. */
export function counterRefOf(id: string): CounterRef | null {
  const parts = id.split('|')
  if (parts.length !== 4) return null
  const [scope, subject, model, period] = parts as [CounterRef['scope'], string, string, string]
  return model ? { scope, id: subject, model, period } : { scope, id: subject, period }
}

/** The price table as the importer reads it (`createPriceIndex`'s interface). */
export interface PriceLookup {
  find(model: string): {
    canonical: string
    price: {
      input: number
      output: number
      cacheWrite5m: number
      cacheWrite1h: number
      cacheRead: number
    }
  } | null
  cost(model: string, usage: TokenUsage): { costNanos: number; priced: boolean; model: string }
}

/** A counter as the importer sums it. */
export interface CounterTotal {
  ref: CounterRef
  values: Partial<Counters>
}

/** What {@link normaliseAndPrice} did, for the summary. */
export interface PricingReport {
  /** Rows whose model got the name new traffic is counted under. */
  renamed: number
  /** Per-model rows priced from their tokens. */
  pricedModelRows: number
  /** Per-account rows priced from that account's per-model rows. */
  pricedAccountRows: number
  /** Per-account rows with tokens but no per-model rows to price them from (hourly ones). */
  unpricedAccountRows: number
  /** Models the price table does not know (their rows keep cost 0, counted as unpriced). */
  unpricedModels: string[]
}

/** The name new traffic is counted under: the price table's name, else the name as given. */
export function canonicalModel(pricing: PriceLookup, model: string): string {
  return pricing.find(model)?.canonical ?? model
}

/** The counter with its model renamed to the canonical name (same object when unchanged). */
export function withCanonicalModel(pricing: PriceLookup, ref: CounterRef): CounterRef {
  if (ref.scope === 'model') {
    const c = canonicalModel(pricing, ref.id)
    return c === ref.id ? ref : { ...ref, id: c }
  }
  if (ref.model === undefined) return ref
  const c = canonicalModel(pricing, ref.model)
  return c === ref.model ? ref : { ...ref, model: c }
}

/**
 * Summed tokens at the base rates (nano-dollars). A counter sums many requests, so the
 * long-context rates, which depend on one request's prompt, cannot be told apart and are not used.
 */
function baseCostNanos(
  price: NonNullable<ReturnType<PriceLookup['find']>>['price'],
  v: Partial<Counters>,
): number {
  const per = (usdPerMTok: number) => Math.round(usdPerMTok * 1000)
  return (
    (v.inputTokens ?? 0) * per(price.input) +
    (v.outputTokens ?? 0) * per(price.output) +
    (v.cacheCreate5mTokens ?? 0) * per(price.cacheWrite5m) +
    (v.cacheCreate1hTokens ?? 0) * per(price.cacheWrite1h) +
    (v.cacheReadTokens ?? 0) * per(price.cacheRead)
  )
}

function tokensOf(v: Partial<Counters>): number {
  return (
    (v.inputTokens ?? 0) +
    (v.outputTokens ?? 0) +
    (v.cacheCreate5mTokens ?? 0) +
    (v.cacheCreate1hTokens ?? 0) +
    (v.cacheReadTokens ?? 0)
  )
}

/**
 * Makes imported counters read as new traffic's do. The old system stored dated model names
 * (`claude-sonnet-4-5-20250929`) and no cost per model or per account (it priced them when shown):
 * rows are renamed to the names new traffic is counted under (merging rows that meet), per-model
 * rows without a cost are priced from their tokens, and per-account rows get the sum of that
 * account's per-model rows of the same period (the lifetime row: of its months). Unknown models
 * keep cost 0 and count their requests as unpriced, as new traffic does.
 */
export function normaliseAndPrice(
  totals: Iterable<CounterTotal>,
  pricing: PriceLookup,
): { totals: CounterTotal[]; report: PricingReport } {
  const out = new Map<string, CounterTotal>()
  let renamed = 0
  for (const t of totals) {
    const ref = withCanonicalModel(pricing, t.ref)
    if (ref !== t.ref) renamed++
    const id = counterId(ref)
    const cur = out.get(id)
    if (cur) addInto(cur.values, t.values)
    else out.set(id, { ref, values: { ...t.values } })
  }
  const unpriced = new Set<string>()
  const accountCost = new Map<string, number>()
  const addCost = (k: string, n: number) => accountCost.set(k, (accountCost.get(k) ?? 0) + n)
  let pricedModelRows = 0
  for (const t of out.values()) {
    const model = t.ref.scope === 'model' ? t.ref.id : t.ref.model
    if (model === undefined) continue
    const v = t.values
    if (!v.costNanos && tokensOf(v) > 0) {
      const hit = pricing.find(model)
      if (hit) {
        v.costNanos = baseCostNanos(hit.price, v)
        pricedModelRows++
      } else {
        unpriced.add(model)
        v.unpricedRequests = v.requests ?? 0
      }
    }
    if (t.ref.scope === 'account-model') {
      addCost(`${t.ref.id}|${t.ref.period}`, v.costNanos ?? 0)
      if (t.ref.period.startsWith('m:')) addCost(`${t.ref.id}|total`, v.costNanos ?? 0)
    }
  }
  let pricedAccountRows = 0
  let unpricedAccountRows = 0
  for (const t of out.values()) {
    if (t.ref.scope !== 'account' || t.values.costNanos || tokensOf(t.values) === 0) continue
    const c = accountCost.get(`${t.ref.id}|${t.ref.period}`)
    if (c) {
      t.values.costNanos = c
      pricedAccountRows++
    } else unpricedAccountRows++
  }
  return {
    totals: [...out.values()],
    report: {
      renamed,
      pricedModelRows,
      pricedAccountRows,
      unpricedAccountRows,
      unpricedModels: [...unpriced].sort(),
    },
  }
}

export { emptyCounters }
