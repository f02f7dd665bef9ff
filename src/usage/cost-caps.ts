/**
 * @module
 * The usage periods a key's money is counted in, and the cost caps admission checks against them.
 * Both sides name periods through {@link usagePeriods}, so the counter admission reads is the one
 * the usage service writes (`d:<day>`, `total`, `opus-w:<week>`).
 */
import { nextLocalMidnight, nextLocalMonday, periodsOf } from '../core/time.ts'
import type { ApiKey } from '../keys/model.ts'
import type { CostCap } from '../limits/repository.ts'
import { isOpusModel } from './model-class.ts'

/** Period names of a timestamp: `h:`, `d:`, `m:`, `w:`, the Opus week and the minute bucket. */
export function usagePeriods(at: number, tz: number) {
  const p = periodsOf(at, tz)
  return {
    hour: `h:${p.hour}`,
    day: `d:${p.day}`,
    month: `m:${p.month}`,
    week: `w:${p.week}`,
    opusWeek: `opus-w:${p.week}`,
    minute: `min:${Math.floor(at / 60_000)}`,
  }
}

/** Cost caps of a key as admission checks them (USD → nano-dollars). */
export function costCapsOf(key: ApiKey, model: string, now: number, tz: number): CostCap[] {
  const caps: CostCap[] = []
  if (key.dailyCostLimit <= 0 && key.totalCostLimit <= 0 && key.weeklyOpusCostLimit <= 0)
    return caps
  const p = usagePeriods(now, tz)
  if (key.dailyCostLimit > 0)
    caps.push({
      name: 'daily',
      period: p.day,
      limitNanos: Math.round(key.dailyCostLimit * 1e9),
      resetAt: nextLocalMidnight(now, tz),
    })
  if (key.totalCostLimit > 0)
    caps.push({
      name: 'total',
      period: 'total',
      limitNanos: Math.round(key.totalCostLimit * 1e9),
      resetAt: null,
    })
  if (key.weeklyOpusCostLimit > 0 && isOpusModel(model))
    caps.push({
      name: 'weekly-opus',
      period: p.opusWeek,
      limitNanos: Math.round(key.weeklyOpusCostLimit * 1e9),
      resetAt: nextLocalMonday(now, tz),
    })
  return caps
}
