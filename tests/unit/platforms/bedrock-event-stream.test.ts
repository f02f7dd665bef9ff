/**
 * The AWS event-stream decoder and the Bedrock model names: frames split anywhere, CRCs checked
 * (against Bun's own CRC32), exceptions turned into Anthropic error events.
 */
import { describe, expect, test } from 'bun:test'
import { crc32, eventStreamDecoder } from '../../../src/platforms/bedrock/event-stream.ts'
import { bedrockModelId, foundationModelId } from '../../../src/platforms/bedrock/models.ts'
import { bedrockStreamToSse } from '../../../src/platforms/bedrock/to-sse.ts'
import { eventMessage } from '../../fakes/fake-bedrock.ts'

const enc = new TextEncoder()

function streamOf(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (let i = 0; i < bytes.length; i += size) c.enqueue(bytes.slice(i, i + size))
      c.close()
    },
  })
}

const chunk = (event: unknown) =>
  eventMessage(
    { ':event-type': 'chunk', ':message-type': 'event' },
    enc.encode(JSON.stringify({ bytes: Buffer.from(JSON.stringify(event)).toString('base64') })),
  )

describe('event stream', () => {
  test('crc32 agrees with the standard check value and with Bun', () => {
    expect(crc32(enc.encode('123456789'))).toBe(0xcbf43926)
    const b = enc.encode('any bytes at all ✓')
    expect(crc32(b)).toBe(Bun.hash.crc32(b))
  })

  test('messages split at every size decode the same', async () => {
    const all = Buffer.concat([chunk({ type: 'a' }), chunk({ type: 'b', x: '你好' })])
    for (const size of [1, 3, 16, all.length]) {
      const out: string[] = []
      const reader = streamOf(all, size).pipeThrough(eventStreamDecoder()).getReader()
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        expect(value.headers[':event-type']).toBe('chunk')
        out.push(
          JSON.parse(
            Buffer.from(
              JSON.parse(new TextDecoder().decode(value.payload)).bytes,
              'base64',
            ).toString(),
          ).type,
        )
      }
      expect(out).toEqual(['a', 'b'])
    }
  })

  test('a corrupted byte or a cut message is an error, not garbage', async () => {
    const bad = chunk({ type: 'a' })
    bad[bad.length - 6]! ^= 1
    await expect(
      new Response(streamOf(bad, 5).pipeThrough(eventStreamDecoder())).text(),
    ).rejects.toThrow('CRC')
    const cut = chunk({ type: 'a' }).slice(0, 20)
    await expect(
      new Response(streamOf(cut, 5).pipeThrough(eventStreamDecoder())).text(),
    ).rejects.toThrow('ended inside')
  })

  test('chunks become SSE; metrics dropped from message_stop; exceptions become error events', async () => {
    const bytes = Buffer.concat([
      chunk({ type: 'message_stop', 'amazon-bedrock-invocationMetrics': { inputTokenCount: 1 } }),
      eventMessage(
        { ':exception-type': 'throttlingException', ':message-type': 'exception' },
        enc.encode('{"message":"slow down"}'),
      ),
    ])
    const text = await new Response(bedrockStreamToSse(streamOf(bytes, 4))).text()
    expect(text).toBe(
      'event: message_stop\ndata: {"type":"message_stop"}\n\n' +
        'event: error\ndata: {"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}\n\n',
    )
  })
})

describe('Bedrock model ids', () => {
  const opts = { region: 'eu-central-1', inferenceProfile: 'regional' as const, defaultModel: '' }
  test('the client model is honoured, behind the region’s inference profile', () => {
    expect(bedrockModelId('claude-sonnet-4-5', opts)).toBe(
      'eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
    )
    expect(bedrockModelId('claude-sonnet-4-5-20250929', opts)).toBe(
      'eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
    )
    expect(bedrockModelId('claude-opus-4-0', { ...opts, region: 'us-east-2' })).toBe(
      'us.anthropic.claude-opus-4-20250514-v1:0',
    )
    expect(bedrockModelId('claude-haiku-4-5', { ...opts, inferenceProfile: 'global' })).toBe(
      'global.anthropic.claude-haiku-4-5-20251001-v1:0',
    )
    expect(bedrockModelId('claude-3-5-haiku-latest', { ...opts, inferenceProfile: 'none' })).toBe(
      'anthropic.claude-3-5-haiku-20241022-v1:0',
    )
    expect(bedrockModelId('claude-opus-4-8', { ...opts, region: 'ap-northeast-1' })).toBe(
      'apac.anthropic.claude-opus-4-8',
    )
  })
  test('Bedrock ids and ARNs pass; defaultModel only for non-Claude names', () => {
    expect(bedrockModelId('us.anthropic.claude-x-v1:0', opts)).toBe('us.anthropic.claude-x-v1:0')
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc'
    expect(bedrockModelId(arn, opts)).toBe(arn)
    expect(bedrockModelId('gpt-4o', { ...opts, defaultModel: 'claude-haiku-4-5' })).toBe(
      'eu.anthropic.claude-haiku-4-5-20251001-v1:0',
    )
    expect(bedrockModelId('gpt-4o', { ...opts, defaultModel: 'my-model' })).toBe('my-model')
    expect(foundationModelId('us.anthropic.claude-x-v1:0')).toBe('anthropic.claude-x-v1:0')
  })
})
