/**
 * @module
 * Wiring shared by every entry point: configuration → secrets → storage → services → HTTP app.
 * Runtime-specific pieces (SQLite driver, files, log sink, password hashing) are passed in by the
 * entry point; tests call {@link buildRelay} with their own stores and fetch.
 */
import pkg from '../package.json' with { type: 'json' }
import { createTokenProvider } from './accounts/oauth.ts'
import { createAccountService, type PoolEntry } from './accounts/service.ts'
import { createAuditLog } from './admin/audit.ts'
import { createAdminAuthService } from './admin/auth-service.ts'
import { chooseStorage, loadConfig, parseSize, type StorageChoice } from './config/load.ts'
import type { Config } from './config/schema.ts'
import { type ResolvedSecrets, resolveSecrets, type SecretFileAccess } from './config/secrets.ts'
import { createSecretBox } from './core/crypto.ts'
import { createLogger } from './core/log.ts'
import { teeSink } from './core/log-sinks.ts'
import type { Clock, FetchFn, Logger, LogSink, PasswordHasher } from './core/ports.ts'
import { systemClock } from './core/time.ts'
import { createHistoryService } from './history/service.ts'
import { type HistoryWriter, inlineHistoryWriter } from './history/writer.ts'
import { createApp } from './http/app.ts'
import { createKeyService } from './keys/service.ts'
import { createMetrics } from './metrics/service.ts'
import { createWebhookService } from './notify/service.ts'
import { accessLogRecorder } from './relay/access-log.ts'
import { createProxyFetch } from './relay/proxy-fetch.ts'
import { fanOutRecorder, type RequestRecorder } from './relay/recorder.ts'
import { createRelayService } from './relay/relay-service.ts'
import { dnsResolver } from './runtime/dns.ts'
import { redactErrorBodies } from './security/redact-errors.ts'
import { createUrlPolicy, type HostResolver } from './security/url-policy.ts'
import { createSqliteStores } from './storage/sqlite/create.ts'
import type { SqlDatabase } from './storage/sqlite/driver.ts'
import type { Stores } from './storage/stores.ts'
import bundledPrices from './usage/pricing.json' with { type: 'json' }
import {
  createPricing,
  type PriceSource,
  type PriceTable,
  urlPriceSource,
} from './usage/pricing.ts'
import { createUsageService } from './usage/service.ts'
import type { WebAsset } from './web/serve-web.ts'

/** Runtime-specific capabilities an entry point provides. */
export interface RuntimePorts {
  openSqlite(path: string): SqlDatabase
  secretFiles: SecretFileAccess
  ensureDir(path: string): void
  logSink: LogSink
  /** Opens a size-rotated log file (used when LOG_DIR is set). */
  fileSink?: (options: { dir: string; maxBytes: number; maxFiles: number }) => LogSink
  hasher: PasswordHasher
  /** Reads a local price override file (PRICING_FILE that is a path). */
  filePriceSource?: (path: string) => PriceSource
  clock?: Clock
  /** Reads a built web UI file (served at `/web`). */
  readAsset?: (path: string) => Promise<WebAsset | null>
  /** Process memory for /metrics (`process.memoryUsage`, `Deno.memoryUsage`). */
  memory?: () => { rss: number; heapTotal: number; heapUsed: number }
  /**
   * Starts WAL checkpoints of the SQLite file `path` on a thread of their own, taking them off
   * `db` (the serving connection); null leaves them on `db`.
   */
  startSqliteCheckpointer?: (
    path: string,
    db: SqlDatabase,
    logger: Logger,
  ) => Promise<{ stop(): Promise<void> } | null>
  /** Starts the history writer thread (HISTORY_WRITER=worker); null keeps the inline writer. */
  startHistoryWriter?: (
    storage: StorageChoice,
    fallback: HistoryWriter,
    logger: Logger,
  ) => Promise<HistoryWriter | null>
}

/** The service version from package.json. */
export const VERSION: string = pkg.version

/** Inputs of {@link buildRelay}. */
export interface BuildOptions {
  config: Config
  secrets: Pick<
    ResolvedSecrets,
    'jwtSecret' | 'encryptionKey' | 'adminUsername' | 'adminPassword' | 'adminPasswordFromFile'
  >
  stores: Stores
  logger: Logger
  hasher: PasswordHasher
  clock?: Clock
  /** Upstream fetch (tests inject their own); proxies wrap it per account. */
  fetch?: FetchFn
  /** Extra recorders (tests observe finished requests). */
  recorders?: RequestRecorder[]
  /** Reads a local price override file. */
  filePriceSource?: (path: string) => PriceSource
  /** Reads a built web UI file (served at `/web`). */
  readAsset?: (path: string) => Promise<WebAsset | null>
  /** DNS for the outbound URL policy (default: node:dns lookup). */
  resolveHost?: HostResolver
  /** Builds and stores history records (default: inline). */
  historyWriter?: HistoryWriter
  /** Process memory for /metrics (the runtime's `memoryUsage()`). */
  memory?: () => { rss: number; heapTotal: number; heapUsed: number }
}

/** A wired relay: services, app and lifecycle hooks. */
export type Relay = Awaited<ReturnType<typeof buildRelay>>

/** Builds services and the HTTP app over existing stores. */
export async function buildRelay(options: BuildOptions) {
  const { config, secrets, stores, logger } = options
  const clock = options.clock ?? systemClock
  const baseFetch: FetchFn = options.fetch ?? ((input, init) => fetch(input, init))
  const box = createSecretBox(secrets.encryptionKey)
  const keys = createKeyService({
    repo: stores.keys,
    coord: stores.coord,
    clock,
    logger,
    encryptionKey: secrets.encryptionKey,
    prefix: config.API_KEY_PREFIX,
  })
  const accounts = createAccountService({
    repo: stores.accounts,
    coord: stores.coord,
    box,
    clock,
    logger,
  })
  const urlPolicy = createUrlPolicy({
    allowHosts: config.UPSTREAM_ALLOW_HOSTS,
    denyHosts: config.UPSTREAM_DENY_HOSTS,
    allowPrivate: config.UPSTREAM_ALLOW_PRIVATE,
    resolve: options.resolveHost ?? dnsResolver,
    now: () => clock.now(),
    trustedUrls: [config.CLAUDE_API_URL, config.CLAUDE_OAUTH_TOKEN_URL],
  })
  const webhooks = createWebhookService({
    settings: stores.settings,
    box,
    clock,
    logger,
    accounts,
    urlPolicy,
  })
  const directFetch = urlPolicy.guard(baseFetch)
  const proxyFetches = new Map<string, { sig: string; fetch: FetchFn }>()
  const accountSecrets = (entry: PoolEntry) => () => [
    entry.secrets.apiKey,
    entry.secrets.accessToken,
    entry.secrets.refreshToken,
    entry.secrets.proxyPassword,
  ]
  // One wrapper per pool entry (a snapshot refresh makes new entries), not one per request.
  const entryFetches = new WeakMap<PoolEntry, { inner: FetchFn; fetch: FetchFn }>()
  const fetchFor = (entry: PoolEntry): FetchFn => {
    const inner = proxiedFetch(entry)
    const hit = entryFetches.get(entry)
    if (hit && hit.inner === inner) return hit.fetch
    const wrapped = redactErrorBodies(inner, accountSecrets(entry))
    entryFetches.set(entry, { inner, fetch: wrapped })
    return wrapped
  }
  const proxiedFetch = (entry: PoolEntry): FetchFn => {
    const proxy = entry.account.proxy
    if (!proxy) return directFetch
    const sig = `${JSON.stringify(proxy)}|${entry.secrets.proxyPassword ?? ''}`
    const hit = proxyFetches.get(entry.account.id)
    if (hit && hit.sig === sig) return hit.fetch
    const f = urlPolicy.guard(
      createProxyFetch(
        { ...proxy, password: entry.secrets.proxyPassword },
        { baseFetch: baseFetch as typeof fetch },
      ) as FetchFn,
      proxy.host,
    )
    proxyFetches.set(entry.account.id, { sig, fetch: f })
    return f
  }
  const tokens = createTokenProvider({
    accounts,
    coord: stores.coord,
    clock,
    logger,
    tokenUrl: config.CLAUDE_OAUTH_TOKEN_URL,
    fetchFor,
  })
  const adminAuth = createAdminAuthService({
    settings: stores.settings,
    coord: stores.coord,
    hasher: options.hasher,
    clock,
    logger,
  })
  await adminAuth.ensure({
    username: secrets.adminUsername,
    password: secrets.adminPassword,
    fromEnv: !secrets.adminPasswordFromFile,
  })

  const override = !config.PRICING_FILE
    ? undefined
    : /^https?:\/\//.test(config.PRICING_FILE)
      ? urlPriceSource(config.PRICING_FILE)
      : options.filePriceSource?.(config.PRICING_FILE)
  const pricing = createPricing({
    bundled: bundledPrices as PriceTable,
    override,
    onError: (message) => logger.error(message, { source: config.PRICING_FILE }),
  })
  if (override) {
    if (await pricing.refresh())
      logger.info('price override loaded', {
        source: config.PRICING_FILE,
        version: pricing.overrideVersion(),
      })
  }
  const pricingTimer = override
    ? setInterval(() => {
        void pricing.refresh().then((changed) => {
          if (changed)
            logger.info('price override reloaded', {
              source: config.PRICING_FILE,
              version: pricing.overrideVersion(),
            })
        })
      }, config.PRICING_RELOAD_INTERVAL)
    : null
  ;(pricingTimer as { unref?: () => void } | null)?.unref?.()
  // Flushes first record the relay's finished requests still waiting for their turn.
  let settleRelay = () => {}
  const usage = createUsageService({
    repo: stores.usage,
    limits: stores.limits,
    clock,
    logger,
    tzOffsetHours: config.TIMEZONE_OFFSET,
    retentionMs: config.TOKEN_USAGE_RETENTION,
    flushMs: config.USAGE_FLUSH_INTERVAL,
    beforeFlush: () => settleRelay(),
  })

  const history = createHistoryService({
    repo: stores.history,
    settings: stores.settings,
    coord: stores.coord,
    clock,
    logger,
    defaults: {
      enabled: true,
      captureBodies: true,
      maxRequestBodySize: 64 * 1024,
      maxResponseBodySize: 256 * 1024,
      retentionDays: Math.max(1, Math.round(config.TOKEN_USAGE_RETENTION / 86_400_000)),
      maxTotalBytes: 1024 * 1024 * 1024,
    },
    writer: options.historyWriter,
    beforeFlush: () => settleRelay(),
    knownSecrets: () => [
      ...accounts.knownSecrets(),
      secrets.adminPassword,
      secrets.jwtSecret,
      secrets.encryptionKey,
    ],
  })
  await history.ready

  const audit = createAuditLog({ settings: stores.settings, clock, logger })
  const server: {
    disableIdleTimeout?: (request: Request) => void
    requestIP?: (request: Request) => string | null
  } = {}
  const ipOf = (request: Request): string => {
    if (config.TRUST_PROXY) {
      const fwd = request.headers.get('x-forwarded-for')?.split(',')[0]?.trim()
      if (fwd) return fwd
      const real = request.headers.get('x-real-ip')?.trim()
      if (real) return real
    }
    return server.requestIP?.(request) ?? 'unknown'
  }
  const touchKeys: RequestRecorder = { record: (o) => void keys.touch(o.key).catch(() => {}) }
  const startedAt = clock.now()
  const metrics = createMetrics({
    accounts,
    ping: () => stores.ping(),
    inFlightStreams: () => relay.activeStreams(),
    inFlightLeases: () => relay.inFlight(),
    pending: () => ({ history: history.pendingCount(), usage: usage.pendingCount() }),
    memory: options.memory,
    version: VERSION,
    startedAt,
    now: () => clock.now(),
  })
  const recorder = fanOutRecorder(
    [
      usage.recorder,
      history.recorder,
      metrics.recorder,
      touchKeys,
      accessLogRecorder(logger),
      ...(options.recorders ?? []),
    ],
    (err) => logger.error('a request recorder failed', { error: err }),
  )
  const relay = createRelayService({
    config,
    keys,
    accounts,
    tokens,
    limits: stores.limits,
    recorder,
    pricing,
    clock,
    logger,
    fetchFor,
    disableIdleTimeout: (request) => server.disableIdleTimeout?.(request),
    captureLimits: () => history.captureLimits(),
  })
  settleRelay = () => relay.settle()

  let draining = false
  const app = createApp({
    config,
    stores,
    logger,
    clock,
    version: VERSION,
    startedAt: clock.now(),
    jwtSecret: secrets.jwtSecret,
    isDraining: () => draining,
    services: {
      keys,
      accounts,
      relay,
      adminAuth,
      usage,
      pricing,
      history,
      audit,
      webhooks,
      metrics,
    },
    accountOps: { tokens, fetchFor, fetch: baseFetch, urlPolicy },
    ipOf,
    readAsset: options.readAsset,
  })
  const flushTimer = setInterval(() => {
    void accounts.flushLastUsed().catch(() => {})
    void keys
      .flushTouches()
      .catch((err) => logger.warn('cannot store key last-use times', { error: err }))
  }, 5000)
  ;(flushTimer as { unref?: () => void }).unref?.()
  /** Periodic maintenance: history retention, expired rows (SQLite). */
  const cleanup = async () => {
    try {
      await history.cleanup()
      const swept = await stores.sweepExpired(clock.now())
      if (swept) logger.debug('expired rows swept', { swept })
    } catch (err) {
      logger.warn('cleanup failed', { error: err })
    }
  }
  const cleanupTimer = setInterval(() => void cleanup(), config.CLEANUP_INTERVAL)
  ;(cleanupTimer as { unref?: () => void }).unref?.()

  return {
    config,
    logger,
    stores,
    app,
    version: VERSION,
    services: {
      keys,
      accounts,
      relay,
      adminAuth,
      tokens,
      usage,
      pricing,
      history,
      audit,
      webhooks,
    },
    /** Runtime hooks the server sets once it listens. */
    server,
    startDraining: () => {
      draining = true
    },
    /** Requests holding a lease right now. */
    inFlight: () => relay.inFlight(),
    /** Ends open streams (after the drain timeout); each is recorded as aborted. */
    abortStreams: () => relay.abortAll(),
    /** Runs the periodic maintenance now. */
    cleanup,
    /** Flushes pending writes and closes storage. */
    close: async () => {
      clearInterval(flushTimer)
      clearInterval(cleanupTimer)
      if (pricingTimer) clearInterval(pricingTimer)
      relay.stop()
      await webhooks.stop()
      await usage.stop()
      await history.stop()
      await audit.stop()
      await accounts.flushLastUsed().catch(() => {})
      await keys.flushTouches().catch(() => {})
      await stores.close()
    },
  }
}

/** Builds the relay from an environment map. Throws ConfigError on bad configuration. */
export async function bootstrap(
  env: Record<string, string | undefined>,
  runtime: RuntimePorts,
): Promise<Relay> {
  const config = loadConfig(env)
  const clock = runtime.clock ?? systemClock
  const logger = createLogger({
    level: config.LOG_LEVEL,
    sink:
      config.LOG_DIR && runtime.fileSink
        ? teeSink([
            runtime.logSink,
            runtime.fileSink({
              dir: config.LOG_DIR,
              maxBytes: parseSize(config.LOG_MAX_SIZE),
              maxFiles: config.LOG_MAX_FILES,
            }),
          ])
        : runtime.logSink,
    now: () => clock.now(),
  })
  runtime.ensureDir(config.DATA_DIR)
  const secrets = resolveSecrets(config, runtime.secretFiles)
  announceSecrets(secrets, logger)

  const choice = chooseStorage(config, runtime.secretFiles.join)
  const sqlite = choice.kind === 'sqlite' ? runtime.openSqlite(choice.path) : undefined
  const stores =
    choice.kind === 'redis'
      ? // Loaded only when configured: ioredis costs an SQLite-mode process ~3 MB of RSS.
        await (await import('./storage/redis/create.ts')).createRedisStores({
          url: choice.url,
          prefix: choice.prefix,
          cluster: choice.cluster,
          logger,
        })
      : createSqliteStores(sqlite!, { clock, logger })
  try {
    await stores.ping()
  } catch (err) {
    logger.error('storage is not reachable yet; /health reports 503 until it is', {
      kind: choice.kind,
      error: err,
    })
  }
  logger.info('storage ready', {
    kind: choice.kind,
    ...(choice.kind === 'sqlite'
      ? { path: choice.path }
      : { prefix: choice.prefix, cluster: choice.cluster !== undefined }),
  })
  if (choice.kind === 'redis' && secrets.generated.includes('ENCRYPTION_KEY')) {
    logger.warn(
      'ENCRYPTION_KEY was generated locally while storage is Redis: set the same ENCRYPTION_KEY on every instance',
    )
  }
  if (
    !secrets.adminPasswordFromFile &&
    /^(admin123456|password|12345678|admin1234)$/i.test(secrets.adminPassword)
  ) {
    logger.warn(
      '!!! ADMIN_PASSWORD is a well-known default: change it before exposing this server to a network !!!',
    )
  }
  let checkpointer: { stop(): Promise<void> } | null = null
  if (
    sqlite &&
    choice.kind === 'sqlite' &&
    choice.path !== ':memory:' &&
    config.SQLITE_CHECKPOINTS === 'thread' &&
    runtime.startSqliteCheckpointer
  ) {
    checkpointer = await runtime.startSqliteCheckpointer(choice.path, sqlite, logger)
    if (checkpointer) logger.info('sqlite checkpoints run on their own thread')
  }
  let historyWriter: HistoryWriter | undefined
  // On 2 cores the serving thread, the load and the writer thread share the CPU and a writer
  // thread gains little (measured in the README) for ~25 MB; with cores to spare it takes the
  // whole history cost (~100 µs a streamed request) off the serving thread.
  const cpus = (globalThis.navigator as { hardwareConcurrency?: number } | undefined)
    ?.hardwareConcurrency
  const useWorker =
    config.HISTORY_WRITER === 'worker' || (config.HISTORY_WRITER === 'auto' && (cpus ?? 1) >= 4)
  if (useWorker && runtime.startHistoryWriter) {
    const fallback = inlineHistoryWriter(stores.history, logger)
    historyWriter = (await runtime.startHistoryWriter(choice, fallback, logger)) ?? undefined
    if (historyWriter) logger.info('history is written on its own thread')
  }
  const relay = await buildRelay({
    config,
    secrets,
    stores,
    logger,
    historyWriter,
    hasher: runtime.hasher,
    clock,
    filePriceSource: runtime.filePriceSource,
    readAsset: runtime.readAsset,
    memory: runtime.memory,
  })
  if (checkpointer) {
    const close = relay.close
    const thread = checkpointer
    // After the serving connection closed, the thread's last checkpoint empties the WAL.
    relay.close = async () => {
      await close()
      await thread.stop()
    }
  }
  return relay
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
