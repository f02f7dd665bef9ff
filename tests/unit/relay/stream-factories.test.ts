/**
 * The two streams a relayed answer can go out through: the standard pull stream and Bun's direct
 * stream. Both deliver every chunk in order, end with the source, read only as fast as the reader
 * takes (one step ahead at most), and tell the source when the reader goes away.
 */
import { describe, expect, test } from 'bun:test'
import type { StreamFactory, StreamSource } from '../../../src/relay/stream-relay.ts'
import { standardStream } from '../../../src/relay/stream-relay.ts'
import { bunDirectStream } from '../../../src/runtime/bun-stream.ts'

const enc = new TextEncoder()

/** A source of `n` chunks; counts steps taken and whether it was cancelled. */
function countingSource(n: number) {
  const state = { steps: 0, cancelled: false }
  const source: StreamSource = {
    async step(out) {
      state.steps++
      if (state.steps > n) {
        out.close()
        return false
      }
      out.enqueue(enc.encode(`data: ${state.steps}\n\n`))
      return true
    },
    cancel() {
      state.cancelled = true
    },
  }
  return { source, state }
}

for (const [name, make] of [
  ['standard', standardStream],
  ['Bun direct', bunDirectStream],
] as [string, StreamFactory][]) {
  describe(`${name} stream`, () => {
    test('a response body carries every chunk in order and ends with the source', async () => {
      const { source } = countingSource(3)
      expect(await new Response(make(source)).text()).toBe('data: 1\n\ndata: 2\n\ndata: 3\n\n')
    })

    test('served over HTTP, the client reads every chunk', async () => {
      const server = Bun.serve({
        port: 0,
        hostname: '127.0.0.1',
        fetch: () => new Response(make(countingSource(50).source)),
      })
      try {
        const text = await (await fetch(`http://127.0.0.1:${server.port}/`)).text()
        expect(text.split('\n\n').filter(Boolean)).toHaveLength(50)
        expect(text.endsWith('data: 50\n\n')).toBe(true)
      } finally {
        server.stop(true)
      }
    })

    test('a reader that stops early cancels the source, which was not read ahead', async () => {
      const { source, state } = countingSource(1000)
      const reader = make(source).getReader()
      const first = await reader.read()
      expect(new TextDecoder().decode(first.value)).toContain('data: 1')
      await reader.cancel()
      expect(state.cancelled).toBe(true)
      expect(state.steps).toBeLessThan(10)
    })
  })
}
