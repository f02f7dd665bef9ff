/**
 * @module
 * Wiring shared by every entry point: configuration → secrets → storage → services → HTTP app.
 * Runtime-specific pieces (SQLite driver, files, log sink) are passed in by the entry point.
 */
import pkg from '../package.json' with { type: 'json' }
import { chooseStorage, loadConfig } from './config/load.ts'
import type { Config } from './config/schema.ts'
import { type ResolvedSecrets, resolveSecrets, type SecretFileAccess } from './config/secrets.ts'
import { createLogger } from './core/log.ts'
import type { Clock, Logger, LogSink } from './core/ports.ts'
import { systemClock } from './core/time.ts'
import { createApp } from './http/app.ts'
import { createRedisStores } from './storage/redis/create.ts'
import { createSqliteStores } from './storage/sqlite/create.ts'
import type { SqlDatabase } from './storage/sqlite/driver.ts'
import type { Stores } from './storage/stores.ts'

/** Runtime-specific capabilities an entry point provides. */
export interface RuntimePorts {
  openSqlite(path: string): SqlDatabase
  secretFiles: SecretFileAccess
  ensureDir(path: string): void
  logSink: LogSink
  clock?: Clock
}

/** A wired, not yet listening, relay. */
export interface Relay {
  config: Config
  secrets: ResolvedSecrets
  logger: Logger
  stores: Stores
  app: ReturnType<typeof createApp>
  version: string
  /** Marks the relay as draining (readiness turns 503). */
  startDraining(): void
  /** Flushes pending writes and closes storage. */
  close(): Promise<void>
}

/** The service version from package.json. */
export const VERSION: string = pkg.version

/** Builds the relay from an environment map. Throws ConfigError on bad configuration. */
export async function bootstrap(
  env: Record<string, string | undefined>,
  runtime: RuntimePorts,
): Promise<Relay> {
  const config = loadConfig(env)
  const clock = runtime.clock ?? systemClock
  const logger = createLogger({
    level: config.LOG_LEVEL,
    sink: runtime.logSink,
    now: () => clock.now(),
  })
  runtime.ensureDir(config.DATA_DIR)
  const secrets = resolveSecrets(config, runtime.secretFiles)
  announceSecrets(secrets, logger)

  const choice = chooseStorage(config, runtime.secretFiles.join)
  const stores =
    choice.kind === 'redis'
      ? await createRedisStores({ url: choice.url, prefix: choice.prefix, logger })
      : createSqliteStores(runtime.openSqlite(choice.path), { clock, logger })
  logger.info('storage ready', {
    kind: choice.kind,
    ...(choice.kind === 'sqlite' ? { path: choice.path } : { prefix: choice.prefix }),
  })
  if (choice.kind === 'redis' && secrets.generated.includes('ENCRYPTION_KEY')) {
    logger.warn(
      'ENCRYPTION_KEY was generated locally while storage is Redis: set the same ENCRYPTION_KEY on every instance',
    )
  }

  let draining = false
  const app = createApp({
    config,
    stores,
    logger,
    clock,
    version: VERSION,
    startedAt: clock.now(),
    isDraining: () => draining,
  })
  return {
    config,
    secrets,
    logger,
    stores,
    app,
    version: VERSION,
    startDraining: () => {
      draining = true
    },
    close: async () => {
      await stores.close()
    },
  }
}

function announceSecrets(secrets: ResolvedSecrets, logger: Logger): void {
  const genSecrets = secrets.generated.filter((g) => g !== 'ADMIN_PASSWORD')
  if (genSecrets.length > 0)
    logger.warn('generated missing secrets', { names: genSecrets, file: secrets.file })
  if (secrets.generated.includes('ADMIN_PASSWORD')) {
    // Printed once, on the start that generated it; later starts only say where it is.
    const banner = [
      '',
      '==================================================================',
      ` Admin user:     ${secrets.adminUsername}`,
      ` Admin password: ${secrets.adminPassword}`,
      ` (generated once; stored in ${secrets.file}, mode 0600)`,
      '==================================================================',
      '',
    ].join('\n')
    console.log(banner)
  } else if (secrets.adminPasswordFromFile) {
    logger.info('admin password is stored in the secrets file', { file: secrets.file })
  }
}
