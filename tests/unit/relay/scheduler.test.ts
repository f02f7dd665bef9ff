import { describe, expect, test } from 'bun:test'
import { initialAccountState } from '../../../src/accounts/model.ts'
import type { PoolEntry } from '../../../src/accounts/service.ts'
import { subscriptionAllows } from '../../../src/platforms/claude/oauth-adapter.ts'
import { FAMILIES } from '../../../src/platforms/families.ts'
import {
  type NoPick,
  noPickError,
  type PickInput,
  pickAccount,
} from '../../../src/relay/scheduler.ts'
import { makeAccount, makeKey } from '../../helpers/fixtures.ts'

const now = Date.now()
const entry = (
  name: string,
  over: Partial<PoolEntry['account']> = {},
  state: Partial<PoolEntry['state']> = {},
): PoolEntry => ({
  account: makeAccount({ id: name, name, ...over }),
  secrets: {},
  state: { ...initialAccountState(), ...state },
})
const pick = (
  entries: PoolEntry[],
  key = makeKey(),
  model = 'claude-sonnet-4-6',
  extra: Partial<PickInput> = {},
) =>
  pickAccount(entries, {
    binding: FAMILIES.claude.bindingOf(key),
    serves: (a, m) => a.platform !== 'claude-oauth' || subscriptionAllows(a, m),
    model,
    stickyAccountId: null,
    exclude: new Set(),
    now,
    ...extra,
  })
const name = (p: ReturnType<typeof pick>) =>
  'entry' in p ? p.entry.account.name : `none: ${p.reason}`

describe('pickAccount', () => {
  test('prefers the lowest priority number, then the least recently used', () => {
    const pool = [
      entry('b', { priority: 50 }, { lastUsedAt: 10 }),
      entry('a', { priority: 50 }, { lastUsedAt: 5 }),
      entry('c', { priority: 60 }),
    ]
    expect(name(pick(pool))).toBe('a')
    expect(name(pick([...pool, entry('top', { priority: 1 }, { lastUsedAt: now })]))).toBe('top')
  })

  test('skips unhealthy, unschedulable, inactive and already tried accounts', () => {
    const pool = [
      entry('limited', {}, { rateLimitedUntil: now + 1000 }),
      entry('over', {}, { overloadedUntil: now + 1000 }),
      entry('cool', {}, { coolingUntil: now + 1000 }),
      entry('unauth', {}, { status: 'unauthorized' }),
      entry('paused', { schedulable: false }),
      entry('off', { isActive: false }),
      entry('tried'),
      entry('ok', { priority: 99 }),
    ]
    expect(name(pick(pool, undefined, undefined, { exclude: new Set(['tried']) }))).toBe('ok')
    expect(name(pick([entry('back', {}, { rateLimitedUntil: now - 1 })]))).toBe('back')
  })

  test('honours model support, mappings and Opus limits', () => {
    const mapped = entry('mapped', { supportedModels: { 'claude-sonnet-4-6': 'upstream-sonnet' } })
    const p = pick([mapped])
    expect('entry' in p && p.upstreamModel).toBe('upstream-sonnet')
    expect(name(pick([entry('only-haiku', { supportedModels: ['claude-haiku-4-5'] })]))).toContain(
      'no account serves',
    )
    const opusLimited = entry('opus-limited', {}, { opusRateLimitedUntil: now + 1000 })
    expect(name(pick([opusLimited], undefined, 'claude-opus-4-6'))).toContain('none')
    expect(name(pick([opusLimited]))).toBe('opus-limited')
    const pro = entry('pro', {
      platform: 'claude-oauth',
      subscriptionInfo: { hasClaudePro: true, hasClaudeMax: false },
    })
    expect(name(pick([pro], undefined, 'claude-opus-4-6'))).toContain('no account serves')
  })

  test('a key bound to an account or a group only uses those; dedicated accounts stay out of the pool', () => {
    const pool = [
      entry('shared'),
      entry('mine', { accountType: 'dedicated' }),
      entry('g1', { accountType: 'group', groupIds: ['grp'] }),
    ]
    expect(name(pick(pool))).toBe('shared')
    expect(name(pick(pool, makeKey({ claudeConsoleAccountId: 'mine' })))).toBe('mine')
    expect(name(pick(pool, makeKey({ claudeAccountId: 'group:grp' })))).toBe('g1')
    expect(
      name(
        pick(
          [entry('mine', { accountType: 'dedicated' }, { rateLimitedUntil: now + 5 })],
          makeKey({ claudeAccountId: 'mine' }),
        ),
      ),
    ).toContain('rate-limited')
  })

  test('a healthy sticky account wins over the pool order', () => {
    const pool = [entry('a', { priority: 1 }), entry('b', { priority: 2 })]
    expect(name(pick(pool, undefined, undefined, { stickyAccountId: 'b' }))).toBe('b')
    const dead = [entry('a', { priority: 1 }), entry('b', { priority: 2 }, { status: 'blocked' })]
    expect(name(pick(dead, undefined, undefined, { stickyAccountId: 'b' }))).toBe('a')
  })
})

describe('when nothing can be picked', () => {
  test('every account rate-limited: the earliest time one is free; others aside when turned off', () => {
    const pool = [
      entry('late', {}, { rateLimitedUntil: now + 3_600_000 }),
      entry('soon', {}, { rateLimitedUntil: now + 60_000, coolingUntil: now + 90_000 }),
      entry('off', { isActive: false }),
      entry('unauth', {}, { status: 'unauthorized' }),
    ]
    const p = pick(pool)
    expect('entry' in p).toBe(false)
    // `soon` is back when its last mark ends.
    expect(!('entry' in p) && p.rateLimitedUntil).toBe(now + 90_000)
    const err = noPickError(p as NoPick, 'claude-sonnet-4-6', now)
    expect(err).toMatchObject({ status: 429, type: 'rate_limit_error', retryAfter: 90 })
  })

  test('a rate limit beside an overloaded account is no 429; nor are accounts all turned off', () => {
    const mixed = pick([
      entry('limited', {}, { rateLimitedUntil: now + 60_000 }),
      entry('over', {}, { overloadedUntil: now + 60_000 }),
    ]) as NoPick
    expect(mixed.rateLimitedUntil).toBeNull()
    expect(noPickError(mixed, 'm', now)).toMatchObject({ status: 529, type: 'overloaded_error' })
    const off = pick([entry('unauth', {}, { status: 'unauthorized' })]) as NoPick
    expect(off.rateLimitedUntil).toBeNull()
    expect(noPickError(off, 'm', now).status).toBe(529)
    const none = pick([entry('x', { supportedModels: ['other'] })]) as NoPick
    expect(noPickError(none, 'm', now).status).toBe(503)
  })

  test('an Opus limit counts for Opus requests only', () => {
    const pool = [entry('opus-limited', {}, { opusRateLimitedUntil: now + 60_000 })]
    expect(name(pick(pool))).toBe('opus-limited')
    const p = pick(pool, undefined, 'claude-opus-4-1') as NoPick
    expect(p.rateLimitedUntil).toBe(now + 60_000)
  })
})
