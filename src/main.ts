/**
 * Bun entry point: env → bootstrap → Bun.serve, with graceful shutdown on SIGTERM/SIGINT.
 * The single binary (scripts/binary-entry.ts) calls {@link main} with its embedded web assets.
 */
import { bootstrap } from './bootstrap.ts'
import { ConfigError } from './core/errors.ts'
import {
  bunPasswordHasher,
  distAssetReader,
  ensureDir,
  filePriceSource,
  localSecretFiles,
  openBunSqlite,
  serveBun,
  stdoutSink,
} from './runtime/bun.ts'
import { bunDirectStream } from './runtime/bun-stream.ts'
import { startHistoryWorker } from './runtime/history-writer.ts'
import { rotatingFileSink } from './runtime/log-file.ts'
import { startSqliteCheckpointer } from './runtime/sqlite-checkpointer.ts'
import type { WebAsset } from './web/serve-web.ts'

/** Starts the relay; exits the process with 1 on a configuration or startup error. */
export async function main(readAsset?: (path: string) => Promise<WebAsset | null>): Promise<void> {
  try {
    const relay = await bootstrap(process.env, {
      openSqlite: openBunSqlite,
      secretFiles: localSecretFiles,
      ensureDir,
      logSink: stdoutSink,
      fileSink: rotatingFileSink,
      hasher: bunPasswordHasher,
      filePriceSource,
      readAsset: readAsset ?? distAssetReader(new URL('../dist/web', import.meta.url)),
      startHistoryWriter: startHistoryWorker,
      startSqliteCheckpointer,
      memory: () => process.memoryUsage(),
      makeStream: bunDirectStream,
    })
    serveBun(relay)
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(1)
    }
    console.error('Cannot start:', err instanceof Error ? err.message : err)
    process.exit(1)
  }
}

if (import.meta.main) await main()
