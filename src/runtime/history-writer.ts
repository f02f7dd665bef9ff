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

const START_TIMEOUT_MS = 10_000

/** The worker's module: beside this file, or inside a compiled binary (its own entry point). */
function workerEntry(): string {
  // `bun build --compile` stores it under its path from the project root (scripts/build-binary.ts).
  if (import.meta.url.includes('$bunfs')) return './src/runtime/history-worker.ts'
  return new URL('./history-worker.ts', import.meta.url).href
}

/**
 * Starts the writer thread over `storage`; resolves to null (and logs why) when it cannot start,
 * so the caller keeps the inline writer. `fallback` takes over if the thread dies later.
 */
export async function startHistoryWorker(
  storage: StorageChoice,
  fallback: HistoryWriter,
  logger: Logger,
): Promise<HistoryWriter | null> {
  let worker: Worker
  try {
    worker = new Worker(workerEntry())
  } catch (err) {
    logger.warn('history writer thread cannot start; writing history inline', { error: err })
    return null
  }
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>()
  let nextId = 1
  let dead = false
  let onStopped: (() => void) | null = null
  let started: ((ok: boolean, error?: string) => void) | null = null

  const die = (reason: string) => {
    if (dead) return
    dead = true
    for (const p of pending.values()) p.reject(new Error(reason))
    pending.clear()
    started?.(false, reason)
    onStopped?.()
  }
  worker.onmessage = (event: MessageEvent<WorkerReply>) => {
    const m = event.data
    if (m.type === 'ready') started?.(true)
    else if (m.type === 'failed') started?.(false, m.error)
    else if (m.type === 'stopped') onStopped?.()
    else if (m.type === 'written') {
      for (const s of m.skipped) logSkippedRecord(logger)(s.requestId, s.error)
      const p = pending.get(m.id)
      pending.delete(m.id)
      if (m.error) p?.reject(new Error(m.error))
      else p?.resolve()
    }
  }
  worker.onerror = (event) => {
    const message = (event as ErrorEvent).message || 'worker error'
    // While starting, the caller logs the failure once.
    if (!dead && !started)
      logger.error('history writer thread failed; writing history inline', { error: message })
    die(message)
  }
  worker.addEventListener('close', () => die('history writer thread exited'))

  const ok = await new Promise<{ ok: boolean; error?: string }>((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, error: 'timed out' }), START_TIMEOUT_MS)
    started = (ok, error) => {
      clearTimeout(timer)
      started = null
      resolve({ ok, error })
    }
    worker.postMessage({ type: 'init', storage } satisfies WorkerRequest)
  })
  if (!ok.ok) {
    logger.warn('history writer thread cannot start; writing history inline', { error: ok.error })
    dead = true
    worker.terminate()
    return null
  }
  // The thread does not keep the process alive on its own: shutdown stops it explicitly.
  ;(worker as { unref?: () => void }).unref?.()

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
        worker.postMessage(message)
      })
    },
    async stop(): Promise<void> {
      if (dead) return
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000)
        onStopped = () => {
          clearTimeout(timer)
          resolve()
        }
        worker.postMessage({ type: 'stop' } satisfies WorkerRequest)
      })
      dead = true
      worker.terminate()
    },
  }
}
