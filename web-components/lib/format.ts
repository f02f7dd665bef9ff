/**
 * @module
 * Number, money, time and size formatting in the active language.
 */
import { getLocale } from '../i18n/i18n.ts'

const nf = () => new Intl.NumberFormat(getLocale())

/** 1234567 → "1,234,567". */
export const fmtInt = (n: number): string => nf().format(Math.round(n))

/** 1234567 → "1.2M" (compact). */
export function fmtCompact(n: number): string {
  if (Math.abs(n) < 1000)
    return Number.isInteger(n)
      ? fmtInt(n)
      : n.toLocaleString(getLocale(), { maximumFractionDigits: 2 })
  return new Intl.NumberFormat(getLocale(), {
    notation: 'compact',
    maximumFractionDigits: 1,
  }).format(n)
}

/**
 * Dollars, always with four decimals, on every page (a request costs fractions of a cent, a month
 * hundreds of dollars: one precision reads the same everywhere). Amounts below $0.0001 that are
 * not zero show as "<$0.0001".
 */
export function fmtCost(usd: number): string {
  if (usd !== 0 && Math.abs(usd) < 0.00005) return usd < 0 ? '>-$0.0001' : '<$0.0001'
  const s = Math.abs(usd).toLocaleString('en-US', {
    minimumFractionDigits: 4,
    maximumFractionDigits: 4,
  })
  return `${usd < 0 ? '-' : ''}$${s}`
}

/** A relative time until `at` ("in 4 min 05 s"), or '' when it passed. */
export function fmtUntil(at: string | number | null | undefined, now = Date.now()): string {
  if (at === null || at === undefined || at === '') return ''
  const t = typeof at === 'number' ? at : Date.parse(at)
  return Number.isFinite(t) && t > now ? fmtCountdown(t - now) : ''
}

/** A date-time in the user's zone. */
export function fmtDateTime(v: string | number | null | undefined): string {
  if (v === null || v === undefined || v === '' || v === 0) return '—'
  const d = new Date(v)
  if (Number.isNaN(d.getTime())) return '—'
  return d.toLocaleString(getLocale(), {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  })
}

/** The time of day in the user's zone ("14:05:09"). */
export function fmtTime(v: string | number): string {
  const d = new Date(v)
  return Number.isNaN(d.getTime())
    ? '—'
    : d.toLocaleTimeString(getLocale(), {
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hour12: false,
      })
}

/** A date in the user's zone. */
export function fmtDate(v: string | number | null | undefined): string {
  if (!v) return '—'
  const d = new Date(v)
  return Number.isNaN(d.getTime()) ? '—' : d.toLocaleDateString(getLocale())
}

/** Milliseconds as "850 ms", "12.3 s", "4 min 5 s". */
export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—'
  if (ms < 1000) return `${Math.round(ms * 10) / 10} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  return fmtCountdown(ms)
}

/** A remaining time as "2 h 05 min", "4 min 05 s", "12 s". */
export function fmtCountdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000))
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  const pad = (n: number) => String(n).padStart(2, '0')
  if (d > 0) return `${d} d ${h} h`
  if (h > 0) return `${h} h ${pad(m)} min`
  if (m > 0) return `${m} min ${pad(sec)} s`
  return `${sec} s`
}

/** A relative time ("3 min ago"). */
export function fmtAgo(v: string | number | null | undefined): string {
  if (!v) return '—'
  const t = typeof v === 'number' ? v : Date.parse(v)
  if (!Number.isFinite(t)) return '—'
  const diff = (t - Date.now()) / 1000
  const rtf = new Intl.RelativeTimeFormat(getLocale(), { numeric: 'auto' })
  const abs = Math.abs(diff)
  if (abs < 60) return rtf.format(Math.round(diff), 'second')
  if (abs < 3600) return rtf.format(Math.round(diff / 60), 'minute')
  if (abs < 86400) return rtf.format(Math.round(diff / 3600), 'hour')
  return rtf.format(Math.round(diff / 86400), 'day')
}

/** Bytes as "1.5 MB". */
export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

/** `<input type="datetime-local">` value of a time. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000)
  return d.toISOString().slice(0, 16)
}

/** Epoch ms of a `<input type="datetime-local">` value (NaN when empty or invalid). */
export const fromLocalInput = (v: string): number => (v ? new Date(v).getTime() : Number.NaN)
