/**
 * @module
 * Calendar periods for usage counters and limits. Day, hour, month and ISO-week boundaries follow
 * TIMEZONE_OFFSET (hours east of UTC), as in the system we replace.
 */
import type { Clock } from './ports.ts'

/** The system clock. */
export const systemClock: Clock = { now: () => Date.now() }

/** Period identifiers of one instant in a time zone. */
export interface Periods {
  /** `YYYY-MM-DDTHH` */
  hour: string
  /** `YYYY-MM-DD` */
  day: string
  /** `YYYY-MM` */
  month: string
  /** ISO week `YYYY-Www` */
  week: string
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** The last answer of {@link periodsOf}: every request asks, nearly always for the same hour. */
let lastPeriods: { hour: number; tz: number; periods: Readonly<Periods> } | null = null

/** The periods that contain `ts` in the zone `tzOffsetHours` east of UTC (do not modify it). */
export function periodsOf(ts: number, tzOffsetHours: number): Readonly<Periods> {
  const hour = Math.floor((ts + tzOffsetHours * 3_600_000) / 3_600_000)
  if (lastPeriods && lastPeriods.hour === hour && lastPeriods.tz === tzOffsetHours)
    return lastPeriods.periods
  const periods = Object.freeze(computePeriods(ts, tzOffsetHours))
  lastPeriods = { hour, tz: tzOffsetHours, periods }
  return periods
}

function computePeriods(ts: number, tzOffsetHours: number): Periods {
  const d = new Date(ts + tzOffsetHours * 3_600_000)
  const y = d.getUTCFullYear()
  const m = d.getUTCMonth() + 1
  const day = `${y}-${pad(m)}-${pad(d.getUTCDate())}`
  return { hour: `${day}T${pad(d.getUTCHours())}`, day, month: `${y}-${pad(m)}`, week: isoWeek(d) }
}

function isoWeek(shifted: Date): string {
  const t = new Date(
    Date.UTC(shifted.getUTCFullYear(), shifted.getUTCMonth(), shifted.getUTCDate()),
  )
  const dow = t.getUTCDay() || 7
  t.setUTCDate(t.getUTCDate() + 4 - dow)
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1)
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7)
  return `${t.getUTCFullYear()}-W${pad(week)}`
}

/** Epoch ms of the next local midnight after `ts`. */
export function nextLocalMidnight(ts: number, tzOffsetHours: number): number {
  const off = tzOffsetHours * 3_600_000
  const local = ts + off
  return Math.floor(local / 86_400_000) * 86_400_000 + 86_400_000 - off
}

/** Epoch ms of the next local Monday 00:00 after `ts`. */
export function nextLocalMonday(ts: number, tzOffsetHours: number): number {
  const midnight = nextLocalMidnight(ts, tzOffsetHours)
  const off = tzOffsetHours * 3_600_000
  const dow = new Date(midnight + off).getUTCDay() // day of week of the next local day
  const days = (8 - dow) % 7
  return midnight + days * 86_400_000
}

/** Epoch ms of the start of the local day `YYYY-MM-DD`. */
export function localDayStart(day: string, tzOffsetHours: number): number {
  const ms = Date.parse(`${day}T00:00:00Z`)
  if (Number.isNaN(ms)) throw new RangeError(`Cannot parse day "${day}": expected YYYY-MM-DD`)
  return ms - tzOffsetHours * 3_600_000
}
