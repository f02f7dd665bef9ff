import { describe, expect, test } from 'bun:test'
import {
  AuthenticationError,
  PermissionError,
  RateLimitError,
  UpstreamUnavailableError,
} from '../../../src/core/errors.ts'
import {
  fromAnthropicErrorResponse,
  fromRelayError,
  openAIErrorBody,
} from '../../../src/openai/errors.ts'

describe('OpenAI error envelope', () => {
  test('maps every Anthropic type', () => {
    const map = (t: string) => openAIErrorBody(t, 'm').error
    expect(map('invalid_request_error')).toEqual({
      message: 'm',
      type: 'invalid_request_error',
      param: null,
      code: null,
    })
    expect(map('authentication_error')).toMatchObject({
      type: 'authentication_error',
      code: 'invalid_api_key',
    })
    expect(map('permission_error').type).toBe('permission_error')
    expect(map('not_found_error').type).toBe('not_found_error')
    expect(map('rate_limit_error')).toMatchObject({
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
    })
    expect(map('overloaded_error').type).toBe('server_error')
    expect(map('api_error').type).toBe('server_error')
    expect(map('timeout_error').type).toBe('server_error')
    expect(map('request_too_large').type).toBe('invalid_request_error')
  })

  test('RelayError → same status, retry-after and request-id', async () => {
    const res = fromRelayError(new RateLimitError('slow down', { retryAfter: 12.2 }), 'req_1')
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('13')
    expect(res.headers.get('request-id')).toBe('req_1')
    expect(await res.json()).toEqual({
      error: {
        message: 'slow down',
        type: 'rate_limit_error',
        param: null,
        code: 'rate_limit_exceeded',
      },
    })
    expect(fromRelayError(new AuthenticationError('bad'), 'r').status).toBe(401)
    expect(fromRelayError(new PermissionError('no'), 'r').status).toBe(403)
    const busy = fromRelayError(new UpstreamUnavailableError('busy', { retryAfter: 30 }), 'r')
    expect(busy.status).toBe(529)
    expect(((await busy.json()) as any).error.type).toBe('server_error')
  })

  test('an Anthropic-shaped error Response keeps status and headers', async () => {
    const upstream = new Response(
      JSON.stringify({
        type: 'error',
        error: { type: 'overloaded_error', message: 'Overloaded' },
        request_id: 'req_x',
      }),
      {
        status: 529,
        headers: { 'retry-after': '5', 'anthropic-ratelimit-requests-remaining': '0' },
      },
    )
    const res = await fromAnthropicErrorResponse(upstream, 'req_x')
    expect(res.status).toBe(529)
    expect(res.headers.get('retry-after')).toBe('5')
    expect(res.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0')
    expect(res.headers.get('request-id')).toBe('req_x')
    expect(await res.json()).toEqual({
      error: { message: 'Overloaded', type: 'server_error', param: null, code: 'overloaded' },
    })
    const plain = await fromAnthropicErrorResponse(new Response('oops', { status: 502 }), 'r')
    expect(plain.status).toBe(502)
    expect(((await plain.json()) as any).error).toMatchObject({
      type: 'server_error',
      message: 'oops',
    })
  })
})
