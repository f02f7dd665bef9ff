/**
 * The retry delay of a Gemini 429 read from its message: RetryInfo's delay as the dialect appends
 * it ("retry in 12.5s") and Code Assist's quota wording ("Your quota will reset after 1h2m3s.").
 */
import { expect, test } from 'bun:test'
import { retrySecondsOf } from '../../../src/dialects/gemini/errors.ts'
import { classifyGemini } from '../../../src/platforms/gemini/health.ts'

test('retry and reset delays in every form Google words them', () => {
  expect(retrySecondsOf('Resource has been exhausted (retry in 12.5s)')).toBe(12.5)
  expect(retrySecondsOf('Please retry in 34s.')).toBe(34)
  expect(retrySecondsOf('Your quota will reset after 39s.')).toBe(39)
  expect(retrySecondsOf('Your quota will reset after 2m5s.')).toBe(125)
  expect(retrySecondsOf('Your quota will reset after 1h2m3s.')).toBe(3723)
  expect(retrySecondsOf('Your quota will reset after 5h.')).toBe(18_000)
  expect(retrySecondsOf('Your quota will reset after tomorrow.')).toBeNull()
  expect(retrySecondsOf('Quota exceeded for quota metric')).toBeNull()
})

test('a 429 gets retry-after from its message; other statuses and given headers are kept', () => {
  const base = { message: 'Your quota will reset after 1m30.5s.', model: 'gemini-2.5-pro' }
  const r = classifyGemini({ ...base, status: 429, headers: new Headers() })
  expect(r.kind === 'http' && r.headers.get('retry-after')).toBe('91')
  const given = classifyGemini({
    ...base,
    status: 429,
    headers: new Headers({ 'retry-after': '7' }),
  })
  expect(given.kind === 'http' && given.headers.get('retry-after')).toBe('7')
  const other = classifyGemini({ ...base, status: 500, headers: new Headers() })
  expect(other.kind === 'http' && other.headers.has('retry-after')).toBe(false)
})
