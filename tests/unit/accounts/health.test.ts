import { describe, expect, test } from 'bun:test'
import { effectiveStatus, healthBucket } from '../../../src/accounts/health.ts'
import { initialAccountState } from '../../../src/accounts/model.ts'
import { makeAccount } from '../../helpers/fixtures.ts'

describe('healthBucket', () => {
  const now = 1_000_000
  const at = (state: Partial<ReturnType<typeof initialAccountState>>, account = makeAccount()) =>
    healthBucket(account, { ...initialAccountState(), ...state }, now)

  test('names where an account stands, status before timers, timers in scheduler order', () => {
    expect(at({})).toBe('available')
    expect(at({ rateLimitedUntil: now - 1 })).toBe('available')
    expect(at({ status: 'unauthorized', rateLimitedUntil: now + 1 })).toBe('unauthorized')
    expect(at({ status: 'blocked' })).toBe('blocked')
    expect(at({ status: 'error' })).toBe('error')
    expect(at({ rateLimitedUntil: now + 1, overloadedUntil: now + 1 })).toBe('rate_limited')
    expect(at({ overloadedUntil: now + 1, coolingUntil: now + 1 })).toBe('overloaded')
    expect(at({ coolingUntil: now + 1 })).toBe('cooling_down')
    expect(at({}, makeAccount({ schedulable: false }))).toBe('paused')
    expect(at({}, makeAccount({ isActive: false }))).toBe('paused')
  })
})

describe('effectiveStatus', () => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  const at = (state: Partial<ReturnType<typeof initialAccountState>>, account = makeAccount()) =>
    effectiveStatus(account, { ...initialAccountState(), ...state }, now)

  test('says where the account stands now and until when, not the stored status', () => {
    expect(at({})).toEqual({ status: 'active', detail: null, until: null })
    expect(at({ rateLimitedUntil: now + 3_600_000 })).toEqual({
      status: 'rate_limited',
      detail: 'rate-limited until 2026-01-01T01:00:00.000Z',
      until: now + 3_600_000,
    })
    // Back when its last mark ends.
    expect(at({ rateLimitedUntil: now + 1000, coolingUntil: now + 5000 })).toMatchObject({
      status: 'rate_limited',
      until: now + 5000,
    })
    expect(at({ overloadedUntil: now + 1000 }).status).toBe('overloaded')
    expect(at({ coolingUntil: now + 1000 }).status).toBe('cooling_down')
    expect(at({ rateLimitedUntil: now - 1 }).status).toBe('active')
    expect(at({ status: 'unauthorized', rateLimitedUntil: now + 1 }).status).toBe('unauthorized')
    expect(at({}, makeAccount({ isActive: false })).status).toBe('inactive')
    expect(at({}, makeAccount({ schedulable: false })).status).toBe('paused')
    expect(at({ opusRateLimitedUntil: now + 1000 })).toMatchObject({
      status: 'active',
      detail: 'Opus rate-limited until 2026-01-01T00:00:01.000Z',
    })
  })
})
