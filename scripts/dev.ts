/**
 * @module
 * `npm run dev`: the relay for development. Builds the web UI first (a fresh clone has no
 * `dist/web`, and `/web` would answer 503), rebuilds it whenever a file under `web-components/`
 * changes (the server reads the built files on each request: reload the page), and runs the
 * server with `bun --watch`, which restarts it when a server file changes.
 */
import { type FSWatcher, watch } from 'node:fs'
import { join } from 'node:path'

/** Options of {@link watchAndRebuild}. */
export interface RebuildOptions {
  /** Quiet time after the last change before building (ms). */
  debounceMs?: number
  onBuilt?: (ms: number) => void
  onError?: (err: unknown) => void
}

/**
 * Runs `rebuild` after changes under `dir`: once per burst of changes, never two at a time (a
 * change during a build starts one more build after it).
 */
export function watchAndRebuild(
  dir: string,
  rebuild: () => Promise<unknown>,
  options: RebuildOptions = {},
): { close(): void; idle(): Promise<void> } {
  let timer: ReturnType<typeof setTimeout> | null = null
  let running: Promise<void> | null = null
  let again = false
  const run = () => {
    timer = null
    if (running) {
      again = true
      return
    }
    const t0 = performance.now()
    running = rebuild()
      .then(
        () => options.onBuilt?.(performance.now() - t0),
        (err) => options.onError?.(err),
      )
      .finally(() => {
        running = null
        if (again) {
          again = false
          run()
        }
      })
  }
  const watcher: FSWatcher = watch(dir, { recursive: true }, () => {
    if (timer) clearTimeout(timer)
    timer = setTimeout(run, options.debounceMs ?? 100)
  })
  return {
    close() {
      watcher.close()
      if (timer) clearTimeout(timer)
    },
    async idle() {
      while (timer || running) await (running ?? new Promise((r) => setTimeout(r, 20)))
    },
  }
}

async function main(): Promise<void> {
  const root = join(import.meta.dir, '..')
  const { buildWeb } = await import('../web-components/build.ts')
  const t0 = performance.now()
  await buildWeb()
  console.log(
    `[dev] web UI built in ${Math.round(performance.now() - t0)} ms; watching web-components/`,
  )
  const watcher = watchAndRebuild(join(root, 'web-components'), () => buildWeb(), {
    onBuilt: (ms) => console.log(`[dev] web UI rebuilt in ${Math.round(ms)} ms: reload the page`),
    onError: (err) =>
      console.error('[dev] web UI build failed:', err instanceof Error ? err.message : err),
  })
  const server = Bun.spawn([process.execPath, '--watch', join(root, 'src/main.ts')], {
    cwd: root,
    stdio: ['inherit', 'inherit', 'inherit'],
    env: {
      ...process.env,
      // Bun's fetch keeps 256 requests in flight unless told otherwise at start (see README).
      BUN_CONFIG_MAX_HTTP_REQUESTS: process.env.BUN_CONFIG_MAX_HTTP_REQUESTS ?? '4096',
    },
  })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => server.kill(signal))
  const code = await server.exited
  watcher.close()
  process.exit(code)
}

if (import.meta.main) await main()
