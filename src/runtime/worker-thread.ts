/**
 * @module
 * The life cycle the relay's worker threads share (the history writer, SQLite checkpoints): the
 * thread's module beside this file or inside the compiled binary, an `init` answered by `ready`
 * or `failed` within 10 s, death noticed through `error` and `close`, and a `stop` answered by
 * `stopped` within 5 s. A started thread does not keep the process alive: shutdown stops it.
 */

const START_TIMEOUT_MS = 10_000
const STOP_TIMEOUT_MS = 5_000

/** The replies every thread sends besides its own. */
type LifecycleReply = { type: 'ready' } | { type: 'failed'; error: string } | { type: 'stopped' }

/** A started thread. */
export interface WorkerThread<Req> {
  post(message: Req): void
  /** Sends `{type: 'stop'}`, waits for `stopped` (5 s at most), then ends the thread. */
  stop(): Promise<void>
  /** Ends the thread at once, as a crash would (`onDeath` is called). */
  terminate(): void
}

/** Options of {@link startWorkerThread}. */
export interface WorkerThreadOptions<Req, Reply> {
  /** File name of the thread's module in `src/runtime/` (each is a `--compile` entry point). */
  module: string
  /** The first message; the thread answers `ready` or `failed`. */
  init: Req
  /** Every reply other than `ready`, `failed` and `stopped`. */
  onMessage(message: Reply): void
  /** Called once if the started thread dies, unless {@link WorkerThread.stop} ended it. */
  onDeath(reason: string): void
}

/** The module's URL: beside this file, or inside a compiled binary. */
function entryOf(module: string): string {
  // `bun build --compile` stores it under its path from the project root (scripts/build-binary.ts).
  if (import.meta.url.includes('$bunfs')) return `./src/runtime/${module}`
  return new URL(`./${module}`, import.meta.url).href
}

/** Starts a thread and waits for its answer to `init`; on failure, says why (the thread is gone). */
export async function startWorkerThread<
  Req extends { type: string },
  Reply extends { type: string },
>(
  options: WorkerThreadOptions<Req, Reply>,
): Promise<{ thread: WorkerThread<Req> } | { error: string }> {
  let worker: Worker
  try {
    worker = new Worker(entryOf(options.module))
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) }
  }
  let dead = false
  let stopping = false
  let started: ((error?: string) => void) | null = null
  let onStopped: (() => void) | null = null

  const die = (reason: string) => {
    if (dead) return
    dead = true
    onStopped?.()
    if (started) started(reason)
    else if (!stopping) options.onDeath(reason)
  }
  worker.onmessage = (event: MessageEvent<Reply | LifecycleReply>) => {
    const m = event.data as LifecycleReply
    if (m.type === 'ready') started?.()
    else if (m.type === 'failed') started?.(m.error)
    else if (m.type === 'stopped') onStopped?.()
    else options.onMessage(event.data as Reply)
  }
  worker.onerror = (event) => die((event as ErrorEvent).message || 'worker error')
  worker.addEventListener('close', () => die('the thread exited'))

  const error = await new Promise<string | undefined>((resolve) => {
    const timer = setTimeout(() => resolve('timed out'), START_TIMEOUT_MS)
    started = (error) => {
      clearTimeout(timer)
      started = null
      resolve(error)
    }
    worker.postMessage(options.init)
  })
  if (error !== undefined) {
    dead = true
    worker.terminate()
    return { error }
  }
  ;(worker as { unref?: () => void }).unref?.()

  return {
    thread: {
      post: (message) => worker.postMessage(message),
      async stop() {
        if (dead) return
        stopping = true
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, STOP_TIMEOUT_MS)
          onStopped = () => {
            clearTimeout(timer)
            resolve()
          }
          worker.postMessage({ type: 'stop' })
        })
        dead = true
        worker.terminate()
      },
      terminate: () => worker.terminate(),
    },
  }
}
