/** The pure rules of the Claude side: fix-ups, the session window, quota days, seed env names. */
import { describe, expect, test } from 'bun:test'
import { initialAccountState } from '../../../src/accounts/model.ts'
import { normaliseSeedEnv, seedEnvNotice } from '../../../src/config/seed-env.ts'
import { quotaDay } from '../../../src/platforms/claude/console-quota.ts'
import {
  applyFixups,
  fixupsNeeded,
  refusesTemperatureWithTopP,
} from '../../../src/platforms/claude/fixups.ts'
import { SESSION_WINDOW_MS, sessionPatch } from '../../../src/platforms/claude/session-window.ts'

const ctx = { model: 'claude-sonnet-4-5', maxOutputTokens: 64_000, keepCacheTtl: false }

describe('fix-ups', () => {
  test('which models refuse temperature with top_p', () => {
    for (const m of [
      'claude-opus-4-1-20250805',
      'claude-opus-4-5',
      'claude-sonnet-4-5-20250929',
      'claude-haiku-4-5',
      'claude-sonnet-5',
      'claude-opus-4-6[1m]',
    ])
      expect(refusesTemperatureWithTopP(m)).toBe(true)
    for (const m of [
      'claude-opus-4-20250514',
      'claude-sonnet-4-20250514',
      'claude-3-7-sonnet-20250219',
      'claude-3-5-haiku-latest',
      'gpt-4o',
    ])
      expect(refusesTemperatureWithTopP(m)).toBe(false)
  })

  test('nothing fires: null, and the body is not copied', () => {
    const body = { model: 'x', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }
    expect(fixupsNeeded(body, ctx)).toEqual([])
    expect(applyFixups(body, ctx)).toBeNull()
  })

  test('the client body stays untouched when rules fire', () => {
    const block = { type: 'text', text: 'a', cache_control: { type: 'ephemeral', ttl: '1h' } }
    const body = {
      max_tokens: 100_000,
      temperature: 1,
      top_p: 0.5,
      messages: [{ role: 'user', content: [block] }],
    }
    const before = JSON.stringify(body)
    const out = applyFixups(body, ctx)!
    expect(out.rules).toEqual(['max_tokens', 'cache_ttl', 'top_p'])
    expect(JSON.stringify(body)).toBe(before)
    expect(out.body).toMatchObject({ max_tokens: 64_000, temperature: 1 })
    expect((out.body.messages as any)[0].content[0].cache_control).toEqual({ type: 'ephemeral' })
  })
})

describe('session window', () => {
  const H = 'anthropic-ratelimit-unified-'
  const opts = { autoStop: true, maxWarnings: 1 }
  test('estimated from the top of the hour without headers; no write when nothing changed', () => {
    const now = Date.UTC(2026, 0, 1, 10, 25)
    const first = sessionPatch(initialAccountState(), new Headers(), now, opts)!
    expect(first.patch.sessionWindowStart).toBe(Date.UTC(2026, 0, 1, 10))
    expect(first.patch.sessionWindowEnd).toBe(Date.UTC(2026, 0, 1, 10) + SESSION_WINDOW_MS)
    const state = { ...initialAccountState(), ...first.patch }
    expect(sessionPatch(state, new Headers(), now + 60_000, opts)).toBeNull()
  })

  test('a warning stops once per window and counts notifications', () => {
    const now = Date.UTC(2026, 0, 1, 10)
    const reset = String((now + 3_600_000) / 1000)
    const h = new Headers({ [`${H}5h-status`]: 'allowed_warning', [`${H}5h-reset`]: reset })
    const a = sessionPatch(initialAccountState(), h, now, opts)!
    expect(a.warned).toBe(true)
    expect(a.patch.sessionStoppedUntil).toBe(now + 3_600_000)
    const s = { ...initialAccountState(), ...a.patch }
    expect(sessionPatch(s, h, now + 1000, opts)).toBeNull()
    // A new window clears the status and the count.
    const later = now + 3_600_000 + 1000
    const next = sessionPatch(
      { ...s, sessionStoppedUntil: 0 },
      new Headers({
        [`${H}5h-status`]: 'allowed',
        [`${H}5h-reset`]: String(later / 1000 + 18_000),
      }),
      later,
      opts,
    )!
    expect(next.patch).toMatchObject({ sessionWarnings: 0, sessionWindowStatus: 'allowed' })
  })
})

describe('quota day', () => {
  test('starts at the last HH:mm in the zone', () => {
    const now = Date.UTC(2026, 0, 2, 3, 0) // 11:00 at +8
    expect(quotaDay(now, '08:30', 8)).toEqual({
      start: Date.UTC(2026, 0, 2, 0, 30),
      end: Date.UTC(2026, 0, 3, 0, 30),
    })
    const early = Date.UTC(2026, 0, 1, 23, 0) // 07:00 on the 2nd at +8: before 08:30
    expect(quotaDay(early, '08:30', 8).start).toBe(Date.UTC(2026, 0, 1, 0, 30))
  })
})

describe('seed environment', () => {
  test('levels and switches translated; nothing named when nothing is set', () => {
    expect(normaliseSeedEnv({ LOG_LEVEL: 'verbose' }).LOG_LEVEL).toBe('debug')
    expect(normaliseSeedEnv({ LOG_LEVEL: 'WARN' }).LOG_LEVEL).toBe('warn')
    expect(normaliseSeedEnv({ DEBUG: 'true' }).LOG_LEVEL).toBe('debug')
    expect(normaliseSeedEnv({ ENABLE_CORS: 'true' }).CORS_ORIGINS).toBe('*')
    expect(normaliseSeedEnv({ ENABLE_CORS: 'true', CORS_ORIGINS: 'https://a' }).CORS_ORIGINS).toBe(
      'https://a',
    )
    expect(seedEnvNotice({ PORT: '3000', LOG_LEVEL: 'info' })).toBeNull()
    const line = seedEnvNotice({ WEBHOOK_URLS: 'x', PRICE_MIRROR_REPO: 'y' })!
    expect(line).toContain('WEBHOOK_URLS (→ the webhook settings')
    expect(line).toContain('PRICE_MIRROR_REPO (→ PRICING_FILE)')
    expect(line.split('\n')).toHaveLength(1)
  })
})
