/**
 * @module
 * Relaying a streamed answer. A pull-based stream reads upstream only as fast as the client
 * takes it (memory stays bounded with a slow client), forwards each chunk untouched and feeds the
 * dialect's tap (usage, completion, errors, the capture for history). The request is recorded
 * exactly once: when the stream ends (on the next turn, after its last bytes), when upstream
 * fails mid-stream (an error event in the dialect's shape tells the client), when the client
 * disconnects (upstream is aborted at once) or when the relay shuts down.
 */

import { describeNetworkError } from '../core/http-body.ts'
import type { Finish, RequestContext } from './context.ts'
import type { Deferred } from './deferred.ts'
import type { IdleWatchdog } from './watchdog.ts'

/** The stream relay. */
export interface StreamRelay {
  /** The client's stream of `upstream`; `done` records the request once it ends. */
  relay(
    upstream: ReadableStream<Uint8Array>,
    abort: AbortController,
    ctx: RequestContext,
    done: Finish,
  ): ReadableStream<Uint8Array>
  /** Streams being relayed right now. */
  active(): number
  /** Ends every open stream (shutdown after the drain timeout): each is recorded as aborted. */
  abortAll(): void
}

/** Where a relayed stream's next bytes go. */
export interface StreamOut {
  enqueue(chunk: Uint8Array): void
  close(): void
}

/** A relayed stream as its runtime's stream reads it: one step per upstream chunk. */
export interface StreamSource {
  /** Moves the next upstream chunk (or the end, or an error event) to `out`; false once closed. */
  step(out: StreamOut): Promise<boolean>
  /** The client went away. */
  cancel(): void
}

/** Makes the client's stream over a source (the runtime may have a faster one than the standard). */
export type StreamFactory = (source: StreamSource) => ReadableStream<Uint8Array>

/**
 * The standard stream: pull-based, one upstream read per pull, so upstream is read only as fast
 * as the client takes it.
 */
export const standardStream: StreamFactory = (source) =>
  new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        await source.step(controller)
      },
      cancel() {
        source.cancel()
      },
    },
    { highWaterMark: 1 },
  )

/** Creates the stream relay. */
export function createStreamRelay(deps: {
  watchdog: IdleWatchdog
  deferred: Deferred
  captureLimits: () => { request: number; response: number }
  /** The runtime's stream (default: {@link standardStream}). */
  makeStream?: StreamFactory
}): StreamRelay {
  const { watchdog, deferred } = deps
  const makeStream = deps.makeStream ?? standardStream
  const activeStreams = new Set<() => void>()

  function relay(
    upstream: ReadableStream<Uint8Array>,
    abort: AbortController,
    ctx: RequestContext,
    done: Finish,
  ): ReadableStream<Uint8Array> {
    const { dialect } = ctx.route
    const reader = upstream.getReader()
    const tap = dialect.createTap({ captureLimit: deps.captureLimits().response, model: ctx.model })
    const watch = watchdog.watch(abort)
    const base = ctx.outcome
    let ended = false
    /** Ends the stream once; `later` records it on the next turn (after the client's last bytes). */
    const end = (
      outcome: 'success' | 'error' | 'aborted',
      errorType = '',
      errorMessage = '',
      later = false,
    ) => {
      if (ended) return
      ended = true
      activeStreams.delete(onShutdown)
      watch.stop()
      ctx.onClientAbort(null)
      const record = () => {
        const facts = tap.finish()
        base.usage = facts.usage
        if (facts.model) base.model = facts.model
        base.responseBody = facts.captured
        base.responseBodyBytes = facts.bytes
        base.responseTruncated = facts.capturedTruncated
        // A client that hangs up after the answer's end marker (the Codex CLI closes on
        // `response.completed`) received the whole answer; one that hangs up after an error
        // event (SDKs throw on it) received the error.
        const closedByClient = outcome === 'aborted' && errorType === 'client_closed'
        if (closedByClient && facts.complete && !facts.error) done(200, 'success')
        else if ((outcome === 'success' || closedByClient) && facts.error)
          done(200, 'error', facts.error.type, facts.error.message)
        else if (outcome === 'success' && !facts.complete)
          done(200, 'error', 'api_error', 'Upstream stream ended before the answer was complete')
        else done(outcome === 'aborted' ? 499 : 200, outcome, errorType, errorMessage)
      }
      if (later) deferred.afterResponse(record)
      else record()
    }
    const onClientAbort = () => {
      abort.abort(new DOMException('client closed the connection', 'AbortError'))
      end('aborted', 'client_closed', 'Client closed the connection during the stream')
    }
    let cutByShutdown = false
    const onShutdown = () => {
      cutByShutdown = true
      end('aborted', 'server_shutdown', 'The relay shut down during the stream')
      abort.abort(new DOMException('server shutting down', 'AbortError'))
    }
    activeStreams.add(onShutdown)
    ctx.onClientAbort(onClientAbort)
    return makeStream({
      async step(out) {
        try {
          const { done: finished, value } = await reader.read()
          if (finished) {
            const wasEnded = ended
            tap.close()
            end('success', '', '', true)
            // Upstream ended without its end marker or its own error event: tell the client.
            if (!wasEnded && !tap.facts.complete && !tap.facts.error)
              out.enqueue(
                dialect.streamError('api_error', 'Upstream stream ended early', ctx.requestId),
              )
            out.close()
            return false
          }
          watch.touch()
          tap.push(value)
          out.enqueue(value)
          return true
        } catch (err) {
          if (ended) {
            try {
              // Cut at the drain deadline: the client learns the answer is incomplete.
              if (cutByShutdown)
                out.enqueue(
                  dialect.streamError(
                    'api_error',
                    'The relay shut down during the stream; retry the request',
                    ctx.requestId,
                  ),
                )
              out.close()
            } catch {}
            return false
          }
          const timedOut = watch.timedOut
          const message = timedOut
            ? 'Upstream stream was idle for too long'
            : `Upstream connection lost: ${describeNetworkError(err)}`
          const type = timedOut ? 'timeout_error' : 'api_error'
          out.enqueue(dialect.streamError(type, message, ctx.requestId))
          end('error', type, message)
          out.close()
          return false
        }
      },
      cancel() {
        onClientAbort()
        void reader.cancel().catch(() => {})
      },
    })
  }

  return {
    relay,
    active: () => activeStreams.size,
    abortAll: () => {
      for (const stop of [...activeStreams]) stop()
    },
  }
}
