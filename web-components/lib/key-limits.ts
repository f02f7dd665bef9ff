/**
 * @module
 * Every limit of a key with its current use and when its window resets, as the keys list, the key
 * dialog and the public stats page show them: one list, so no page can leave a limit out.
 */
import { html, type TemplateResult } from 'lit'
import type { KeyLimits } from '../api/types.ts'
import { t } from '../i18n/i18n.ts'
import { fmtCompact, fmtCost, fmtInt, fmtUntil } from './format.ts'

/** A dollar limit as the admin set it ("$3", "$2.5"); use is shown with {@link fmtCost}. */
const fmtLimitUsd = (n: number): string => `$${Number(n.toFixed(4))}`

/** A time left in one short word ("4m", "14h", "6d") for the one-line summary. */
function shortLeft(at: string, now: number): string {
  const s = Math.max(0, Math.ceil((Date.parse(at) - now) / 1000))
  if (s >= 86_400) return `${Math.floor(s / 86_400)}d`
  if (s >= 3600) return `${Math.floor(s / 3600)}h`
  if (s >= 60) return `${Math.floor(s / 60)}m`
  return `${s}s`
}

/** One limit: what it caps, how much is used, and when the use starts over. */
export interface LimitRow {
  id: 'concurrency' | 'requests' | 'tokens' | 'windowCost' | 'daily' | 'total' | 'opus'
  label: string
  /** A short label for the one-line summary. */
  short: string
  current: number
  limit: number
  format: (n: number) => string
  /** How the limit itself reads (dollar limits as set: "$3"). */
  formatLimit: (n: number) => string
  /** When the use starts over (ISO); null: the window has not started; undefined: never. */
  resetsAt?: string | null
}

/** What a key's limits are read from: its limits and, once loaded, their current use. */
export interface LimitSource {
  limits: KeyLimits
  resets?: { window: string | null; daily: string; weeklyOpus: string }
}

/**
 * When each window of a key starts over, from its limits and the relay's zone (`TIMEZONE_OFFSET`,
 * hours): the rate window's end, the next local midnight, the next local Monday (weekly Opus).
 */
export function resetsOf(
  l: KeyLimits,
  tzOffsetHours: number,
  now = Date.now(),
): NonNullable<LimitSource['resets']> {
  const day = 86_400_000
  const off = tzOffsetHours * 3_600_000
  const today = Math.floor((now + off) / day) * day
  const weekday = new Date(today).getUTCDay()
  const toMonday = (8 - weekday) % 7 || 7
  return {
    window: l.windowEndTime,
    daily: new Date(today + day - off).toISOString(),
    weeklyOpus: new Date(today + toMonday * day - off).toISOString(),
  }
}

/** The limits set on a key (0 = no limit), most used first. */
export function limitRows(src: LimitSource): LimitRow[] {
  const l = src.limits
  const r = src.resets
  const win = l.rateLimitWindow
  const window = r ? r.window : (l.windowEndTime ?? null)
  const rows: LimitRow[] = [
    {
      id: 'concurrency',
      label: t('limit.concurrency'),
      short: t('limit.short.concurrency'),
      current: l.currentConcurrency,
      limit: l.concurrencyLimit,
      format: fmtInt,
      formatLimit: fmtInt,
    },
    {
      id: 'requests',
      label: t('limit.requests', { m: win }),
      short: t('limit.short.requests', { m: win }),
      current: l.currentWindowRequests,
      limit: l.rateLimitWindow > 0 ? l.rateLimitRequests : 0,
      format: fmtInt,
      formatLimit: fmtInt,
      resetsAt: window,
    },
    {
      id: 'tokens',
      label: t('limit.tokens', { m: win }),
      short: t('limit.short.tokens', { m: win }),
      current: l.currentWindowTokens,
      limit: l.rateLimitWindow > 0 ? l.tokenLimit : 0,
      format: fmtCompact,
      formatLimit: fmtCompact,
      resetsAt: window,
    },
    {
      id: 'windowCost',
      label: t('limit.windowCost', { m: win }),
      short: t('limit.short.windowCost', { m: win }),
      current: l.currentWindowCost,
      limit: l.rateLimitWindow > 0 ? l.rateLimitCost : 0,
      format: fmtCost,
      formatLimit: fmtLimitUsd,
      resetsAt: window,
    },
    {
      id: 'daily',
      label: t('limit.daily'),
      short: t('limit.short.daily'),
      current: l.currentDailyCost,
      limit: l.dailyCostLimit,
      format: fmtCost,
      formatLimit: fmtLimitUsd,
      resetsAt: r?.daily ?? null,
    },
    {
      id: 'total',
      label: t('limit.total'),
      short: t('limit.short.total'),
      current: l.currentTotalCost,
      limit: l.totalCostLimit,
      format: fmtCost,
      formatLimit: fmtLimitUsd,
    },
    {
      id: 'opus',
      label: t('limit.opus'),
      short: t('limit.short.opus'),
      current: l.weeklyOpusCost,
      limit: l.weeklyOpusCostLimit,
      format: fmtCost,
      formatLimit: fmtLimitUsd,
      resetsAt: r?.weeklyOpus ?? null,
    },
  ]
  return rows
    .filter((x) => x.limit > 0)
    .sort((a, b) => share(b) - share(a) || rows.indexOf(a) - rows.indexOf(b))
}

/** How much of a limit is used (0–1, capped). */
export const share = (r: LimitRow): number => Math.min(1, r.current / r.limit)

/** The bar colour class of a share. */
const level = (r: LimitRow): string => (share(r) >= 0.9 ? 'bad' : share(r) >= 0.7 ? 'warn' : '')

/** The reset text of a row: "resets in 4 min 05 s", "window not started" or ''. */
export function resetText(r: LimitRow, now = Date.now()): string {
  if (r.resetsAt === undefined) return ''
  if (r.resetsAt === null) return r.id === 'daily' || r.id === 'opus' ? '' : t('limit.notStarted')
  const left = fmtUntil(r.resetsAt, now)
  return left ? t('limit.resetsIn', { t: left }) : ''
}

/** A bar with its label, use and reset time (one row of a limits list). */
export function limitMeter(r: LimitRow, now = Date.now()): TemplateResult {
  const pct = Math.round(share(r) * 100)
  const reset = resetText(r, now)
  return html`<div class="limit-row" data-limit=${r.id}>
    <span class="limit-label">${r.label}</span>
    <div class="bar" role="meter" aria-label=${r.label} aria-valuenow=${pct} aria-valuemin="0" aria-valuemax="100"><i class=${level(r)} style="width:${pct}%"></i></div>
    <span class="small nowrap limit-value">${r.format(r.current)} / ${r.formatLimit(r.limit)}</span>
    <span class="small muted nowrap limit-reset" role=${reset ? 'timer' : 'presentation'}>${reset}</span>
  </div>`
}

/** The one-line summary of the most used limit: short label, small bar, use, reset. */
export function limitSummary(r: LimitRow, now = Date.now()): TemplateResult {
  const pct = Math.round(share(r) * 100)
  const left = r.resetsAt && fmtUntil(r.resetsAt, now) ? shortLeft(r.resetsAt, now) : ''
  return html`<span class="limit-sum" data-limit=${r.id} title=${r.label}>
    <span class="muted lbl">${r.short}</span>
    <span class="bar mini" aria-hidden="true"><i class=${level(r)} style="width:${pct}%"></i></span>
    <span>${r.format(r.current)}/${r.formatLimit(r.limit)}</span>
    ${left ? html`<span class="muted left" title=${resetText(r, now)}>⟳${left}</span>` : ''}
  </span>`
}

/** Styles of the limit rows and the summary (include in the component's styles). */
export const LIMIT_CSS = `
  .limit-row {
    display: grid;
    grid-template-columns: minmax(0, 1fr) auto;
    grid-template-areas: 'label value' 'bar bar' 'reset reset';
    align-items: center;
    gap: 3px 12px;
    padding: 6px 0;
  }
  .limit-row .limit-label { grid-area: label; }
  .limit-row .bar { grid-area: bar; }
  .limit-row .limit-value { grid-area: value; text-align: right; }
  .limit-row .limit-reset { grid-area: reset; }
  .limit-row .limit-reset:empty { display: none; }
  .limit-sum {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    white-space: nowrap;
    font-size: 12.5px;
  }
  .bar.mini {
    display: inline-block;
    width: 36px;
    min-width: 36px;
    height: 5px;
  }
  @media (max-width: 720px) {
    .limit-sum .lbl,
    .limit-sum .left,
    .limit-more {
      display: none;
    }
  }
`
