/**
 * @module
 * Bun's direct stream for relayed answers. A standard ReadableStream queues every chunk and
 * hands it to the response through a promise per pull; Bun's `type: 'direct'` stream writes each
 * chunk straight into the response's sink. On the bench's 50-event streams a bare proxy spent
 * 113 µs of CPU a request relaying through a standard pull stream and 84 µs through a direct one
 * (73 µs handing the upstream body over untouched). Each chunk is flushed at once (an SSE event
 * must reach the client when it arrives) and a write the socket cannot take yet is awaited, so
 * upstream is still read only as fast as the client takes it.
 */
import type { StreamFactory, StreamOut } from '../relay/stream-relay.ts'

/** The part of Bun's direct controller the relay uses. */
interface DirectController {
  write(chunk: Uint8Array): number | Promise<number>
  flush(): number | Promise<number>
  close(): void
}

/** A relayed stream as a Bun direct stream. */
export const bunDirectStream: StreamFactory = (source) => {
  let closed = false
  const underlying = {
    type: 'direct',
    async pull(controller: DirectController) {
      let pending: number | Promise<number> = 0
      const out: StreamOut = {
        enqueue(chunk) {
          pending = controller.write(chunk)
        },
        close() {
          closed = true
          controller.close()
        },
      }
      while (!closed && (await source.step(out))) {
        if (typeof pending !== 'number') await pending
        const flushed = controller.flush()
        if (typeof flushed !== 'number') await flushed
      }
    },
    cancel() {
      source.cancel()
    },
  }
  return new ReadableStream(
    underlying as unknown as ConstructorParameters<typeof ReadableStream<Uint8Array>>[0],
  )
}
