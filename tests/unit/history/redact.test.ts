import { describe, expect, test } from 'bun:test'
import { isHighEntropySecret, redactText } from '../../../src/history/redact.ts'
import type { PendingOutcome } from '../../../src/history/writer.ts'
import { type HistoryConfig, REDACT_MARGIN, toRecord } from '../../../src/history/writer.ts'

const RELAY_KEY = `cr_${'0123456789abcdef'.repeat(4)}`
const ACCOUNT_KEY = 'sk-ant-api03-Zq8vK2pLm4Xw9RtY7bNc3Hd6Jf1Gs5Ae0Uo'
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZG1pbiIsImp0aSI6IngifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ'

describe('redaction: what counts as a secret', () => {
  test('JSON-escaped secret fields inside a string are redacted', () => {
    const body = JSON.stringify({ content: JSON.stringify({ apiKey: 'gateway-key-value-42' }) })
    expect(body).toContain('\\"apiKey\\":\\"gateway-key-value-42\\"')
    const out = redactText(body)
    expect(out).not.toContain('gateway-key-value-42')
    expect(JSON.parse(JSON.parse(out).content)).toEqual({ apiKey: '[REDACTED]' })
    const twice = JSON.stringify({
      c: JSON.stringify({ c: JSON.stringify({ password: 'p4ss-w0rd' }) }),
    })
    expect(redactText(twice)).not.toContain('p4ss-w0rd')
  })

  test('form fields and query parameters', () => {
    const out = redactText(
      'user=bob&password=hunter2hunter2&x=1 curl "https://h/?api_key=abc123&access_token=tok.en"',
    )
    expect(out).toBe(
      'user=bob&password=[REDACTED]&x=1 curl "https://h/?api_key=[REDACTED]&access_token=[REDACTED]"',
    )
    // Names that only end like a secret name are left alone.
    expect(redactText('max_tokens=5&mytoken_count=3')).toBe('max_tokens=5&mytoken_count=3')
  })

  test('JWTs (an admin session token, an id token) are redacted', () => {
    expect(redactText(`session ${JWT} here`)).toBe('session [REDACTED] here')
    expect(redactText('{"note":"eyJ is just text"}')).toBe('{"note":"eyJ is just text"}')
  })

  test('a secret field cut off by the end of the text is redacted to the end', () => {
    expect(redactText('{"api_key":"sk-live-abcdefgh')).toBe('{"api_key":"[REDACTED]')
  })

  test('only high-entropy literals are redacted: never a chosen password', () => {
    for (const chosen of [
      'correct-horse-battery',
      'admin123456',
      'hunter2hunter2hunter2',
      'a'.repeat(40),
    ])
      expect({ chosen, high: isHighEntropySecret(chosen) }).toEqual({ chosen, high: false })
    for (const random of [
      ACCOUNT_KEY,
      'ya29.a0AfH6SMBx3kQz9YtR2pL7mN4vW8cJ5dG1hF0sK',
      crypto.randomUUID() + crypto.randomUUID(),
    ])
      expect({ random, high: isHighEntropySecret(random) }).toEqual({ random, high: true })
    const guesses = ['summer2024', 'correct-horse-battery', 'letmein123']
    const text = `try ${guesses.join(' ')} and ${ACCOUNT_KEY.slice(7)}`
    const out = redactText(text, ['correct-horse-battery', ACCOUNT_KEY.slice(7)])
    expect(out).toBe(`try ${guesses.join(' ')} and [REDACTED]`)
  })
})

describe('redaction runs before bodies are cut', () => {
  const config: HistoryConfig = {
    enabled: true,
    captureBodies: true,
    maxRequestBodySize: 1000,
    maxResponseBodySize: 1000,
    retentionDays: 1,
    maxTotalBytes: 1e9,
  }
  const outcome = (requestBody: string, responseBody = ''): PendingOutcome =>
    ({
      requestId: 'req_1',
      key: { id: 'k', name: 'k' },
      endpoint: '/api/v1/messages',
      dialect: 'anthropic',
      requestedModel: 'm',
      upstreamModel: 'm',
      platform: 'claude-console',
      model: 'm',
      stream: false,
      userAgent: '',
      startTime: 0,
      endTime: 1,
      ttfbMs: null,
      overheadMs: null,
      accountId: '',
      accountName: '',
      usage: null,
      billable: true,
      costNanos: 0,
      priced: true,
      longContext: false,
      attempts: [],
      requestBody,
      requestBodyBytes: requestBody.length,
      responseBody,
      responseBodyBytes: responseBody.length,
      responseTruncated: false,
      windowStart: 0,
      status: 200,
      outcome: 'success',
      errorType: '',
      errorMessage: '',
    }) as PendingOutcome

  test('a key crossing the stored length keeps none of its characters', () => {
    for (const at of [990, 996, 999, 1000 - 40, 1000 - 63]) {
      const text = `${'x'.repeat(at)}${RELAY_KEY}${'y'.repeat(200)}`
      const stored = toRecord(outcome(text, text), config, []).requestBody
      const response = toRecord(outcome(text, text), config, []).responseBody
      for (const s of [stored, response]) {
        expect(s).toContain('[truncated:')
        for (let i = 0; i + 8 <= RELAY_KEY.length; i++)
          expect({ at, leaked: s.includes(RELAY_KEY.slice(i, i + 8)) }).toEqual({
            at,
            leaked: false,
          })
      }
    }
  })

  test('the relay captures a margin past the stored length for it', () => {
    expect(REDACT_MARGIN).toBeGreaterThanOrEqual(1024)
  })
})
