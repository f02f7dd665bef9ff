/**
 * Bun entry point: env → bootstrap → Bun.serve, with graceful shutdown on SIGTERM/SIGINT.
 */
import { bootstrap } from './bootstrap.ts'
import { ConfigError } from './core/errors.ts'
import {
  bunPasswordHasher,
  ensureDir,
  filePriceSource,
  localSecretFiles,
  openBunSqlite,
  serveBun,
  stdoutSink,
} from './runtime/bun.ts'

try {
  const relay = await bootstrap(process.env, {
    openSqlite: openBunSqlite,
    secretFiles: localSecretFiles,
    ensureDir,
    logSink: stdoutSink,
    hasher: bunPasswordHasher,
    filePriceSource,
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
