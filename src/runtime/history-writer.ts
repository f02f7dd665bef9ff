/**
 * @module
 * The history writer on a worker thread of its own (Bun). The thread that serves requests only
 * queues finished requests and posts them in batches; building the records (SSE assembly, caps,
 * redaction) and storing them — about as much CPU as the rest of a streamed request — runs in
 * parallel on another core. If the thread cannot start, or dies, writing falls back to the
 * inline writer and nothing is lost: a batch stays queued until a writer confirms it.
 */
import type { StorageChoice } from '../config/load.ts'
import type { Logger } from '../core/ports.ts'
import {
  type HistoryConfig,
  type HistoryWriter,
  logSkippedRecord,
  type PendingOutcome,
  pendingOf,
} from '../history/writer.ts'
import type { RequestOutcome } from '../relay/recorder.ts'
import { startWorkerThread } from './worker-thread.ts'

/** Messages to the worker. */
export type WorkerRequest =
  | { type: 'init'; storage: StorageChoice }
  | {
      type: 'write'
      id: number
      outcomes: PendingOutcome[]
      config: HistoryConfig
      known: string[]
    }
  | { type: 'stop' }

/** Messages from the worker. */
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'failed'; error: string }
  | {
      type: 'written'
      id: number
      skipped: { requestId: string; error: string }[]
      error?: string
    }
  | { type: 'stopped' }

/**
 * Starts the writer thread over `storage`; resolves to null (and logs why) when it cannot start,
 * so the caller keeps the inline writer. `fallback` takes over if the thread dies later.
 */
export async function startHistoryWorker(
  storage: StorageChoice,
  fallback: HistoryWriter,
  logger: Logger,
): Promise<HistoryWriter | null> {
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>()
  let nextId = 1
  let dead = false
  const started = await startWorkerThread<WorkerRequest, WorkerReply>({
    module: 'history-worker.ts',
    init: { type: 'init', storage },
    onMessage(m) {
      if (m.type !== 'written') return
      for (const s of m.skipped) logSkippedRecord(logger)(s.requestId, s.error)
      const p = pending.get(m.id)
      pending.delete(m.id)
      if (m.error) p?.reject(new Error(m.error))
      else p?.resolve()
    },
    onDeath(reason) {
      dead = true
      for (const p of pending.values()) p.reject(new Error(reason))
      pending.clear()
      logger.error('history writer thread failed; writing history inline', { error: reason })
    },
  })
  if ('error' in started) {
    logger.warn('history writer thread cannot start; writing history inline', {
      error: started.error,
    })
    return null
  }
  const { thread } = started

  return {
    kind: 'worker',
    write(outcomes: RequestOutcome[], config: HistoryConfig, known: string[]): Promise<void> {
      if (dead) return fallback.write(outcomes, config, known)
      const id = nextId++
      // Only the key's id and name cross to the thread (the rest of the key is never cloned).
      const message: WorkerRequest = {
        type: 'write',
        id,
        outcomes: outcomes.map(pendingOf),
        config,
        known,
      }
      return new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject })
        thread.post(message)
      })
    },
    async stop(): Promise<void> {
      if (dead) return
      dead = true
      await thread.stop()
    },
  }
}
