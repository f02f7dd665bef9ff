import { describe, expect, test } from 'bun:test'
import { createSecretBox, sha256Hex, timingSafeEqual } from '../../../src/core/crypto.ts'
import { InvalidRequestError, RateLimitError } from '../../../src/core/errors.ts'
import { newRequestId } from '../../../src/core/ids.ts'
import { createMemoryLogger, redactSecrets } from '../../../src/core/log.ts'
import {
  localDayStart,
  nextLocalMidnight,
  nextLocalMonday,
  periodsOf,
} from '../../../src/core/time.ts'

describe('errors', () => {
  test('a RelayError renders the Anthropic error shape with the request id', async () => {
    const res = new InvalidRequestError('messages: must not be empty').toResponse('req_1')
    expect(res.status).toBe(400)
    expect(res.headers.get('request-id')).toBe('req_1')
    expect(await res.json()).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'messages: must not be empty' },
      request_id: 'req_1',
    })
  })

  test('a rate limit error carries retry-after and its details', async () => {
    const res = new RateLimitError('Rate limit exceeded', {
      retryAfter: 12.2,
      details: { limit: 5, current: 5 },
    }).toResponse('r')
    expect(res.headers.get('retry-after')).toBe('13')
    expect(((await res.json()) as any).error).toEqual({
      type: 'rate_limit_error',
      message: 'Rate limit exceeded',
      limit: 5,
      current: 5,
    })
  })
})

describe('crypto', () => {
  test('sha256Hex matches a known vector', async () => {
    expect(await sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
  })

  test('the secret box round-trips, uses fresh IVs and rejects tampering or another key', async () => {
    const box = createSecretBox('k'.repeat(32))
    const a = await box.encrypt('sk-ant-oat01-secret')
    const b = await box.encrypt('sk-ant-oat01-secret')
    expect(a).not.toBe(b)
    expect(a).not.toContain('secret')
    expect(await box.decrypt(a)).toBe('sk-ant-oat01-secret')
    // One character of the ciphertext changed (to a different one: a fixed replacement would
    // leave the text as it was whenever that character already held it, 1 run in 64).
    const at = a.length - 10
    const tampered = `${a.slice(0, at)}${a[at] === 'A' ? 'B' : 'A'}${a.slice(at + 1)}`
    expect(tampered).not.toBe(a)
    await expect(box.decrypt(tampered)).rejects.toThrow()
    await expect(createSecretBox('x'.repeat(32)).decrypt(a)).rejects.toThrow()
    await expect(box.decrypt('garbage')).rejects.toThrow('unknown format')
  })

  test('timingSafeEqual compares whole strings', () => {
    expect(timingSafeEqual('abc', 'abc')).toBe(true)
    expect(timingSafeEqual('abc', 'abd')).toBe(false)
    expect(timingSafeEqual('abc', 'abcd')).toBe(false)
  })
})

describe('request ids', () => {
  test('are req_ and 20 base64url characters, unique, and sort in the order of their clock', () => {
    const ids = new Set<string>()
    for (let i = 0; i < 20_000; i++) {
      const id = newRequestId()
      expect(id).toMatch(/^req_[-0-9A-Za-z_]{20}$/)
      ids.add(id)
    }
    expect(ids.size).toBe(20_000)
    // Later milliseconds sort later, across every boundary of the 8 clock characters.
    const times = [0, 1, 63, 64, 2 ** 24 - 1, 2 ** 24, Date.UTC(2026, 0, 1), Date.now(), 2 ** 47]
    for (let i = 1; i < times.length; i++) {
      const a = newRequestId(times[i - 1])
      const b = newRequestId(times[i])
      expect(a < b).toBe(true)
      expect(a.slice(0, 12) < b.slice(0, 12)).toBe(true)
    }
    // The same millisecond shares the prefix; the random tail differs.
    const now = Date.now()
    const [x, y] = [newRequestId(now), newRequestId(now)]
    expect(x.slice(0, 12)).toBe(y.slice(0, 12))
    expect(x.slice(12)).not.toBe(y.slice(12))
  })
})

describe('time', () => {
  test('periods follow the configured time zone', () => {
    const ts = Date.UTC(2026, 10, 26, 17, 30) // 17:30 UTC = 01:30 next day at UTC+8
    expect(periodsOf(ts, 8)).toEqual({
      hour: '2026-11-27T01',
      day: '2026-11-27',
      month: '2026-11',
      week: '2026-W48',
    })
    expect(periodsOf(ts, 0)).toEqual({
      hour: '2026-11-26T17',
      day: '2026-11-26',
      month: '2026-11',
      week: '2026-W48',
    })
    expect(periodsOf(Date.UTC(2027, 0, 1, 12), 0).week).toBe('2026-W53')
  })

  test('asked again for the same hour, the same hour is answered; the next hour and zone move on', () => {
    const h = Date.UTC(2026, 11, 31, 23)
    expect(periodsOf(h + 59 * 60_000 + 59_999, 0).hour).toBe('2026-12-31T23')
    expect(periodsOf(h + 60 * 60_000, 0)).toEqual({
      hour: '2027-01-01T00',
      day: '2027-01-01',
      month: '2027-01',
      week: '2026-W53',
    })
    expect(periodsOf(h + 60 * 60_000 - 1, 0).day).toBe('2026-12-31')
    // Half-hour zones: 23:29 UTC is 04:59 at +5.5, 23:30 is 05:00.
    expect(periodsOf(h + 29 * 60_000, 5.5).hour).toBe('2027-01-01T04')
    expect(periodsOf(h + 30 * 60_000, 5.5).hour).toBe('2027-01-01T05')
    expect(periodsOf(h + 30 * 60_000, -5.5).hour).toBe('2026-12-31T18')
    expect(Object.isFrozen(periodsOf(h, 0))).toBe(true)
  })

  test('next local midnight and Monday are computed in the zone', () => {
    const ts = Date.UTC(2026, 10, 26, 17, 30) // Friday 01:30 at UTC+8
    expect(nextLocalMidnight(ts, 8)).toBe(Date.UTC(2026, 10, 27, 16))
    expect(nextLocalMonday(ts, 8)).toBe(Date.UTC(2026, 10, 29, 16))
    expect(localDayStart('2026-11-27', 8)).toBe(Date.UTC(2026, 10, 26, 16))
  })
})

describe('log', () => {
  test('secret fields and secret-looking values never reach a log line', () => {
    const log = createMemoryLogger()
    const key = `cr_${'a'.repeat(64)}`
    log.info('req', {
      headers: { authorization: 'Bearer abcdefghijkl', 'x-api-key': key },
      note: `used ${key}`,
      password: 'p',
    })
    const line = log.lines[0]!
    expect(line).not.toContain(key)
    expect(line).not.toContain('abcdefghijkl')
    expect(JSON.parse(line)).toMatchObject({ level: 'info', msg: 'req', password: '[REDACTED]' })
    expect(redactSecrets({ refresh_token: 'r', ok: 'sk-ant-api03-abcdefghij' })).toEqual({
      refresh_token: '[REDACTED]',
      ok: '[REDACTED]',
    })
  })
})
