import { describe, expect, test } from 'bun:test'
import { closeJsonPrefix, looksLikeJson } from '../../../src/history/json-prefix.ts'

const note = { totalBytes: 1000, keptChars: 10 }
const MARK = '…[truncated: 1000 bytes in total, 10 characters kept]'

const DOC = JSON.stringify({
  model: 'claude-sonnet-4-5',
  max_tokens: 1024,
  stream: true,
  messages: [
    { role: 'user', content: 'Hello "there"\\ \u00e9 \ud83d\ude00 and a tab\t.' },
    { role: 'assistant', content: [{ type: 'text', text: 'Hi!' }] },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 't1', content: [1, 2.5e3, -7, true, false, null] },
      ],
    },
  ],
  system: [{ type: 'text', text: 'You are helpful.' }],
  metadata: { user_id: 'u1' },
  empty: {},
  list: [],
})

describe('closeJsonPrefix', () => {
  test('every prefix of a document closes into valid JSON marked as cut', () => {
    for (let cut = 1; cut < DOC.length; cut++) {
      const out = closeJsonPrefix(DOC.slice(0, cut), note)
      expect(out).not.toBeNull()
      let parsed: any
      try {
        parsed = JSON.parse(out!)
      } catch {
        throw new Error(`prefix of ${cut} did not close: ${out}`)
      }
      expect(typeof parsed).toBe('object')
      expect(out).toContain('truncated: 1000 bytes')
      if (cut > DOC.indexOf('"messages":[') + 12) expect(Array.isArray(parsed.messages)).toBe(true)
    }
  })

  test('a string cut in the middle keeps its text and ends with the marker', () => {
    const text = '{"messages":[{"role":"user","content":"The quick brown fox'
    const parsed = JSON.parse(closeJsonPrefix(text, note)!)
    expect(parsed.messages[0].content).toBe(`The quick brown fox${MARK}`)
    expect(parsed._truncated).toBeUndefined()
  })

  test('a cut escape sequence is dropped, an escaped backslash is kept', () => {
    expect(JSON.parse(closeJsonPrefix('{"a":"x\\', note)!).a).toBe(`x${MARK}`)
    expect(JSON.parse(closeJsonPrefix('{"a":"x\\u00', note)!).a).toBe(`x${MARK}`)
    expect(JSON.parse(closeJsonPrefix('{"a":"x\\\\', note)!).a).toBe(`x\\${MARK}`)
    expect(JSON.parse(closeJsonPrefix('{"a":"x\\u0041', note)!).a).toBe(`xA${MARK}`)
  })

  test('a value cut outside a string is left out and the top object carries the note', () => {
    const parsed = JSON.parse(closeJsonPrefix('{"a":[1,2,{"b":12', note)!)
    expect(parsed).toEqual({ a: [1, 2, {}], _truncated: MARK })
    expect(JSON.parse(closeJsonPrefix('{"a":1,"bee', note)!)).toEqual({ a: 1, _truncated: MARK })
    expect(JSON.parse(closeJsonPrefix('{', note)!)).toEqual({ _truncated: MARK })
    expect(JSON.parse(closeJsonPrefix('[1,2,3', note)!)).toEqual([1, 2])
  })

  test('a whole object made from a cut capture gets the note; other text is refused', () => {
    expect(JSON.parse(closeJsonPrefix('{"a":1}', note)!)).toEqual({ a: 1, _truncated: MARK })
    expect(JSON.parse(closeJsonPrefix('{ }', note)!)).toEqual({ _truncated: MARK })
    for (const t of [
      '',
      'hello',
      'event: message_start\ndata: {}',
      '{"a":1}}',
      '{"a":1} x',
      '"str',
      '[1]',
    ])
      expect(closeJsonPrefix(t, note)).toBeNull()
    expect(looksLikeJson('  {"a"')).toBe(true)
    expect(looksLikeJson('event: x')).toBe(false)
  })
})
