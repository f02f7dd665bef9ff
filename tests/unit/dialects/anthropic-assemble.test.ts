/**
 * Assembling a streamed answer for history: content deltas in the API's own shape are read
 * without parsing the event, every other shape by parsing it, and both must give the same
 * message; text past the stored length is left out without changing what is stored.
 */
import { describe, expect, test } from 'bun:test'
import { assembleSse } from '../../../src/dialects/anthropic/assemble.ts'
import { closeJsonPrefix } from '../../../src/history/json-prefix.ts'
import { pendingOf, toRecord } from '../../../src/history/writer.ts'
import { makeKey, makeOutcome } from '../../helpers/fixtures.ts'

type Ev = Record<string, unknown>

/** SSE text as the API writes it (compact JSON, `data: ` and a blank line after each event). */
const sse = (events: Ev[]) =>
  events.map((e) => `event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`).join('')

/** The same events written differently: spaced JSON, keys reordered, CRLF, no space after `data:`. */
const sseOddly = (events: Ev[]) =>
  events
    .map((e) => {
      const reordered = Object.fromEntries(Object.entries(e).reverse())
      return `event: ${String(e.type)}\r\ndata:${JSON.stringify(reordered, null, 1).replaceAll('\n', ' ')}\r\n\r\n`
    })
    .join('')

const start = (model = 'claude-sonnet-4-6'): Ev => ({
  type: 'message_start',
  message: {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model,
    content: [],
    stop_reason: null,
    usage: { input_tokens: 12, output_tokens: 1 },
  },
})
const blockStart = (index: number, block: Ev): Ev => ({
  type: 'content_block_start',
  index,
  content_block: block,
})
const delta = (index: number, d: Ev): Ev => ({ type: 'content_block_delta', index, delta: d })
const text = (index: number, t: string) => delta(index, { type: 'text_delta', text: t })
const end = (outputTokens: number): Ev[] => [
  {
    type: 'message_delta',
    delta: { stop_reason: 'end_turn' },
    usage: { output_tokens: outputTokens },
  },
  { type: 'message_stop' },
]

/** Strings that stress the literal read: quotes, escapes, braces, `}}` and non-ASCII. */
const TRICKY = [
  'plain',
  'she said "hi"',
  'back\\slash and \\"escaped\\"',
  'ends with }}',
  '"}}',
  '{"type":"content_block_delta"}',
  'tab\tnew\nline\r',
  'emoji 😀 and 中文 and \u2028',
  '',
  ' ',
]

const conversation = (): Ev[] => [
  start(),
  blockStart(0, { type: 'thinking', thinking: '' }),
  ...TRICKY.map((t) => delta(0, { type: 'thinking_delta', thinking: t })),
  { type: 'content_block_stop', index: 0 },
  blockStart(1, { type: 'text', text: '' }),
  ...TRICKY.map((t) => text(1, t)),
  { type: 'content_block_stop', index: 1 },
  blockStart(2, { type: 'tool_use', id: 'toolu_1', name: 'write', input: {} }),
  delta(2, { type: 'input_json_delta', partial_json: '{"path": "a.txt", ' }),
  delta(2, { type: 'input_json_delta', partial_json: '"content": "x}}\\"y"}' }),
  { type: 'content_block_stop', index: 2 },
  ...end(42),
]

describe('assembleSse', () => {
  test('rebuilds text, thinking, tool input, stop reason and usage', () => {
    const { message, cut } = assembleSse(sse(conversation()))
    expect(cut).toBe(false)
    expect(message).toEqual({
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-6',
      content: [
        { type: 'thinking', thinking: TRICKY.join('') },
        { type: 'text', text: TRICKY.join('') },
        {
          type: 'tool_use',
          id: 'toolu_1',
          name: 'write',
          input: { path: 'a.txt', content: 'x}}"y' },
        },
      ],
      stop_reason: 'end_turn',
      usage: { input_tokens: 12, output_tokens: 42 },
    })
  })

  test('events written in any other JSON layout give the same message', () => {
    expect(assembleSse(sseOddly(conversation())).message).toEqual(
      assembleSse(sse(conversation())).message!,
    )
  })

  test('a delta line with more fields than the usual shape is parsed whole', () => {
    const odd = `data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a","extra":"b"}}\n\n`
    const trailing = `data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"c"},"x":1}\n\n`
    const { message } = assembleSse(
      sse([start(), blockStart(0, { type: 'text', text: '' })]) + odd + trailing + sse(end(2)),
    )
    expect((message!.content as Ev[])[0]).toEqual({ type: 'text', text: 'ac' })
  })

  test('deltas for a block that never started, broken lines and other events are skipped', () => {
    const raw =
      sse([start(), text(3, 'lost'), blockStart(0, { type: 'text', text: '' }), text(0, 'kept')]) +
      'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"cut\n\n' +
      ': a comment\n\nevent: ping\ndata: {"type":"ping"}\n\n' +
      sse(end(1))
    const { message } = assembleSse(raw)
    expect(message!.content).toEqual([{ type: 'text', text: 'kept' }])
  })

  test('an error event is kept; text with no message events is null', () => {
    const raw = sse([start(), { type: 'error', error: { type: 'overloaded_error', message: 'x' } }])
    expect(assembleSse(raw).message!.error).toEqual({ type: 'overloaded_error', message: 'x' })
    expect(assembleSse('data: {"type":"ping"}\n\n').message).toBeNull()
    expect(assembleSse('').message).toBeNull()
  })

  test('text past the limit is left out over all blocks; tool input and the end still count', () => {
    const events = [
      start(),
      blockStart(0, { type: 'thinking', thinking: '' }),
      delta(0, { type: 'thinking_delta', thinking: 'abcdef' }),
      blockStart(1, { type: 'text', text: '' }),
      text(1, 'ghij'),
      text(1, 'klmn'),
      blockStart(2, { type: 'tool_use', id: 't', name: 'n', input: {} }),
      delta(2, { type: 'input_json_delta', partial_json: '{"a": 1}' }),
      ...end(9),
    ]
    for (const raw of [sse(events), sseOddly(events)]) {
      const { message, cut } = assembleSse(raw, 8)
      expect(cut).toBe(true)
      expect(message!.content).toEqual([
        { type: 'thinking', thinking: 'abcdef' },
        { type: 'text', text: 'gh' },
        { type: 'tool_use', id: 't', name: 'n', input: { a: 1 } },
      ])
      expect(message!.stop_reason).toBe('end_turn')
      expect(assembleSse(raw, 14).cut).toBe(false)
      expect(assembleSse(raw, 13).cut).toBe(true)
    }
  })
})

describe('lines the fast reading must not take', () => {
  const head = sse([start(), blockStart(0, { type: 'text', text: '' })])
  const line = (json: string) => `data: ${json}\n\n`

  test('past the limit, a text delta with a second delta key is still parsed whole', () => {
    const dup =
      '{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"zz"},"delta":{"type":"input_json_delta","partial_json":"{\\"a\\":1}"}}'
    const raw =
      head +
      sse([text(0, 'abc'), blockStart(1, { type: 'tool_use', id: 't', name: 'n', input: {} })]) +
      line(dup) +
      sse(end(1))
    for (const limit of [3, Number.POSITIVE_INFINITY]) {
      const blocks = assembleSse(raw, limit).message!.content as Ev[]
      expect(blocks[1]).toEqual({ type: 'tool_use', id: 't', name: 'n', input: { a: 1 } })
    }
  })

  test('an index with a leading zero is not JSON and is skipped', () => {
    const raw =
      head +
      line('{"type":"content_block_delta","index":00,"delta":{"type":"text_delta","text":"X"}}') +
      sse([text(0, 'ok')])
    expect((assembleSse(raw).message!.content as Ev[])[0]).toEqual({ type: 'text', text: 'ok' })
  })

  test('the event is trimmed as String.prototype.trim does, and nothing more', () => {
    const ev = JSON.stringify(text(0, 'a'))
    const textOf = (l: string) => (assembleSse(head + l).message!.content as Ev[])[0]!.text
    expect(textOf(`data:\u00a0${ev}\u2028\n\n`)).toBe('a')
    expect(textOf(`data:\t${ev} \r\n\r\n`)).toBe('a')
    expect(textOf(`data:${ev}\n\n`)).toBe('a')
    // U+0001 is not whitespace: the line is not JSON.
    expect(textOf(`data: ${ev}\u0001\n\n`)).toBe('')
  })
})

describe('the limit leaves the stored prefix unchanged', () => {
  /** A small deterministic generator, so a failure can be replayed. */
  function rng(seed: number) {
    let x = seed
    return (n: number) => {
      x = (x * 1103515245 + 12345) % 2147483648
      return x % n
    }
  }
  const PIECES = ['a', 'é', '"', '\\', '\n', '😀', '}}', 'word ', '\u0000']

  test('for streams with blocks of every kind, deltas in any order', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed)
      const kinds = Array.from({ length: 1 + r(4) }, () => ['text', 'thinking', 'tool_use'][r(3)]!)
      const events: Ev[] = [start()]
      for (const [i, kind] of kinds.entries())
        events.push(
          blockStart(
            i,
            kind === 'tool_use'
              ? { type: kind, id: `t${i}`, name: 'n', input: {} }
              : { type: kind, [kind]: '' },
          ),
        )
      for (let n = 0; n < 40; n++) {
        const i = r(kinds.length)
        const kind = kinds[i]!
        const piece = Array.from({ length: 1 + r(6) }, () => PIECES[r(PIECES.length)]).join('')
        if (kind === 'tool_use') {
          events.push(
            delta(i, { type: 'input_json_delta', partial_json: piece.replace(/["\\]/g, '') }),
          )
        } else if (kind === 'text') events.push(text(i, piece))
        else events.push(delta(i, { type: 'thinking_delta', thinking: piece }))
      }
      events.push(...end(40))
      const raw = r(2) ? sse(events) : sseOddly(events)
      const whole = JSON.stringify(assembleSse(raw).message)
      for (const share of [0.01, 0.3, 0.5, 0.7, 0.9]) {
        const limit = Math.ceil(whole.length * share)
        const { message } = assembleSse(raw, limit)
        expect(JSON.stringify(message).slice(0, limit)).toBe(whole.slice(0, limit))
      }
    }
  })
})

describe('history record of a long stream', () => {
  const key = makeKey()
  const config = {
    enabled: true,
    captureBodies: true,
    maxRequestBodySize: 1000,
    maxResponseBodySize: 2000,
    retentionDays: 30,
    maxTotalBytes: 1e9,
  }
  const events = [
    start(),
    blockStart(0, { type: 'text', text: '' }),
    ...Array.from({ length: 400 }, (_, i) => text(0, `part ${i} "quoted" é; `)),
    ...end(400),
  ]
  const raw = sse(events)
  const full = JSON.stringify(assembleSse(raw).message)

  test('stores the same prefix as assembling everything, and the stream size', () => {
    const record = toRecord(
      pendingOf(
        makeOutcome({
          key,
          startTime: 1,
          responseBody: raw,
          responseBodyBytes: Buffer.byteLength(raw),
        }),
      ),
      config,
      [],
    )
    expect(full.length).toBeGreaterThan(2000)
    // The stored prefix stays a JSON message: the cut text ends with the note.
    expect(record.responseBody).toBe(
      closeJsonPrefix(full.slice(0, 2000), {
        totalBytes: Buffer.byteLength(raw),
        keptChars: 2000,
      })!,
    )
    expect(record.responseBody).toContain(
      `…[truncated: ${Buffer.byteLength(raw)} bytes in total, 2000 characters kept]`,
    )
    expect(JSON.parse(record.responseBody).type).toBe('message')
  })

  test('a capture cut by the relay reports the stream size as it was', () => {
    const part = raw.slice(0, 3000)
    const record = toRecord(
      pendingOf(
        makeOutcome({
          key,
          startTime: 1,
          responseBody: part,
          responseBodyBytes: 5_000_000,
          responseTruncated: true,
        }),
      ),
      config,
      [],
    )
    const message = JSON.stringify(assembleSse(part).message)
    expect(record.responseBody).toBe(
      closeJsonPrefix(message.slice(0, 2000), {
        totalBytes: 5_000_000,
        keptChars: Math.min(2000, message.length),
      })!,
    )
    expect(record.responseBody).toContain('…[truncated: 5000000 bytes in total')
    expect(JSON.parse(record.responseBody).type).toBe('message')
  })

  test('a short stream is stored whole, with no note', () => {
    const short = sse([
      start(),
      blockStart(0, { type: 'text', text: '' }),
      text(0, 'hi'),
      ...end(1),
    ])
    const record = toRecord(
      pendingOf(
        makeOutcome({ key, startTime: 1, responseBody: short, responseBodyBytes: short.length }),
      ),
      config,
      [],
    )
    expect(record.responseBody).toBe(JSON.stringify(assembleSse(short).message))
  })
})
