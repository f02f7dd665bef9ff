import { describe, expect, test } from 'bun:test'
import { healthBucket } from '../../../src/accounts/health.ts'
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
