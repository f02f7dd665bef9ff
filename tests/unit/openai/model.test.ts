import { describe, expect, test } from 'bun:test'
import { validateChatRequest } from '../../../src/openai/model.ts'

const msgs = [{ role: 'user', content: 'Hi' }]
const check = (body: Record<string, unknown>) =>
  validateChatRequest({ model: 'claude-sonnet-4-5', messages: msgs, ...body })
const messageOf = (body: Record<string, unknown>) => {
  const v = check(body)
  return v.ok ? null : v.message
}

describe('validateChatRequest', () => {
  test('accepts a plain request and nulls as absent', () => {
    const v = check({ temperature: null, stop: null, tools: null, stream_options: null })
    expect(v.ok).toBe(true)
  })

  test('names the field of a wrong or missing value', () => {
    expect(validateChatRequest({ messages: msgs })).toMatchObject({
      ok: false,
      message: 'model: is required',
    })
    expect(messageOf({ messages: [] })).toStartWith('messages:')
    expect(messageOf({ max_tokens: 'ten' })).toStartWith('max_tokens:')
    expect(messageOf({ temperature: 3 })).toStartWith('temperature:')
    expect(messageOf({ stop: 5 })).toBe('stop: must be a string or an array of strings')
    expect(messageOf({ reasoning_effort: 'extreme' })).toBe(
      "reasoning_effort: must be one of 'none', 'low', 'medium', 'high'",
    )
    expect(messageOf({ messages: [{ role: 'robot', content: 'x' }] })).toBe(
      'messages[0].role: must be one of system, developer, user, assistant, tool',
    )
    expect(messageOf({ messages: [{ role: 'tool', content: 'x' }] })).toBe(
      'messages[0].tool_call_id: is required',
    )
    expect(
      messageOf({ messages: [{ role: 'user', content: [{ type: 'input_audio', x: 1 }] }] }),
    ).toStartWith("messages[0].content[0].type: 'input_audio' parts are not supported")
    expect(validateChatRequest('nope')).toMatchObject({ ok: false })
  })

  test('http(s) image URLs are rejected with the exact path; bad data URLs too', () => {
    const img = (url: string) => ({
      messages: [
        { role: 'system', content: 's' },
        { role: 'user', content: 'first' },
        {
          role: 'user',
          content: [{ type: 'image_url', image_url: { url } }],
        },
      ],
    })
    expect(messageOf(img('https://example.com/cat.png'))).toBe(
      'messages[2].content[0].image_url.url: http(s) image URLs are not supported; send a data: URL',
    )
    expect(messageOf(img('data:image/png,notbase64'))).toStartWith(
      'messages[2].content[0].image_url.url: must be a base64 data: URL',
    )
    expect(messageOf(img('data:image/tiff;base64,AAAA'))).toStartWith(
      "messages[2].content[0].image_url.url: image type 'image/tiff' is not supported",
    )
    expect(messageOf(img('data:image/png;base64,AAAA'))).toBeNull()
  })

  test('tool call arguments must be a JSON object string', () => {
    const call = (args: string) => ({
      messages: [
        ...msgs,
        {
          role: 'assistant',
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: args } }],
        },
      ],
    })
    expect(messageOf(call('{"a":1}'))).toBeNull()
    expect(messageOf(call(''))).toBeNull()
    expect(messageOf(call('{oops'))).toBe(
      'messages[1].tool_calls[0].function.arguments: must be a JSON object encoded as a string',
    )
    expect(messageOf(call('[1]'))).toStartWith('messages[1].tool_calls[0].function.arguments')
  })

  test('rejects what cannot be honoured', () => {
    expect(messageOf({ n: 2 })).toStartWith('n: only n: 1 is supported')
    expect(messageOf({ logprobs: true })).toStartWith('logprobs:')
    expect(messageOf({ top_logprobs: 3 })).toStartWith('top_logprobs:')
    expect(messageOf({ audio: { voice: 'alloy', format: 'mp3' } })).toStartWith('audio:')
    expect(messageOf({ modalities: ['text', 'audio'] })).toStartWith('modalities:')
    expect(messageOf({ functions: [{ name: 'f' }] })).toStartWith('functions:')
    expect(messageOf({ tool_choice: 'required' })).toStartWith('tool_choice:')
    expect(messageOf({ messages: [{ role: 'function', name: 'f', content: 'x' }] })).toStartWith(
      'messages[0].role:',
    )
  })

  test('accepts and ignores penalties, seed, logit_bias, n: 1, logprobs: false, prediction', () => {
    const v = check({
      presence_penalty: 0.5,
      frequency_penalty: -1,
      seed: 1,
      logit_bias: { '1': 2 },
      n: 1,
      logprobs: false,
      top_logprobs: 0,
      prediction: { type: 'content', content: 'x' },
      modalities: ['text'],
      store: false,
    })
    expect(v.ok).toBe(true)
  })
})
