import { describe, expect, test } from 'bun:test'
import { capturedHeaders } from '../../../src/history/writer.ts'

describe('capturedHeaders', () => {
  const clientKey = `cr_${'ab'.repeat(32)}`
  const input = {
    'User-Agent': 'claude-cli/2.0.14 (external, cli)',
    'x-api-key': clientKey,
    authorization: `Bearer ${clientKey}`,
    cookie: 'session=abc',
    'x-goog-api-key': 'AIza-plain',
    'x-refresh-token': 'rt-1',
    'anthropic-beta': 'oauth-2025-04-20',
    'x-forwarded-note': 'my key is sk-ant-api03-abcdefghijklmnop',
    'x-trace': 'contains Zk9fQ2xLm7Vr4Tz8Kp3Wn6Yb1Hc5Jd here',
    'x-long': 'y'.repeat(5000),
  }

  test('removes credentials by name and by value, keeps the rest, bounds values', () => {
    const out = capturedHeaders(input, ['Zk9fQ2xLm7Vr4Tz8Kp3Wn6Yb1Hc5Jd'])
    expect(out).toMatchObject({
      'user-agent': 'claude-cli/2.0.14 (external, cli)',
      'x-api-key': '[REDACTED]',
      authorization: '[REDACTED]',
      cookie: '[REDACTED]',
      'x-goog-api-key': '[REDACTED]',
      'x-refresh-token': '[REDACTED]',
      'anthropic-beta': 'oauth-2025-04-20',
      'x-forwarded-note': 'my key is [REDACTED]',
      'x-trace': 'contains [REDACTED] here',
    })
    expect(out['x-long']).toHaveLength(1000)
    expect(JSON.stringify(out)).not.toContain(clientKey)
  })

  test('Headers and a plain object give the same record; at most 100 headers', () => {
    expect(capturedHeaders(new Headers(input), ['Zk9fQ2xLm7Vr4Tz8Kp3Wn6Yb1Hc5Jd'])).toEqual(
      capturedHeaders(input, ['Zk9fQ2xLm7Vr4Tz8Kp3Wn6Yb1Hc5Jd']),
    )
    const many = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`x-h${i}`, 'v']))
    expect(Object.keys(capturedHeaders(many, []))).toHaveLength(100)
    expect(capturedHeaders(undefined, [])).toEqual({})
  })
})
