// Over 400 lines: the composition root wires every service in order; it decides nothing itself.
/**
 * @module
 * Wiring shared by every entry point: configuration → secrets → storage → services → HTTP app.
 * Runtime-specific pieces (SQLite driver, files, log sink, password hashing) are passed in by the
 * entry point; tests call {@link buildRelay} with their own stores and fetch.
 */
import pkg from '../package.json' with { type: 'json' }
import { createTokenProvider } from './accounts/oauth.ts'
import { createAccountService } from './accounts/service.ts'
import { createAuditLog } from './admin/audit.ts'
import { createAdminAuthService } from './admin/auth-service.ts'
import { chooseStorage, loadConfig, parseSize, type StorageChoice } from './config/load.ts'
import type { Config } from './config/schema.ts'
import { type ResolvedSecrets, resolveSecrets, type SecretFileAccess } from './config/secrets.ts'
import { seedEnvNotice } from './config/seed-env.ts'
import { createSecretBox } from './core/crypto.ts'
import { createLifecycle } from './core/lifecycle.ts'
import { createLogger } from './core/log.ts'
import { teeSink } from './core/log-sinks.ts'
import type { Clock, FetchFn, Logger, LogSink, PasswordHasher } from './core/ports.ts'
import { systemClock } from './core/time.ts'
import { createHistoryService } from './history/service.ts'
import { type HistoryWriter, historyDefaults, inlineHistoryWriter } from './history/writer.ts'
import { createApp } from './http/app.ts'
import { clientIpResolver } from './http/client-ip.ts'
import { createServerHooks } from './http/server-hooks.ts'
import { createKeyService } from './keys/service.ts'
import { startMaintenance } from './maintenance.ts'
import { createMetrics } from './metrics/service.ts'
import { createFaultMonitor } from './notify/faults.ts'
import { createWebhookService } from './notify/service.ts'
import { createBedrockAdapter } from './platforms/bedrock/adapter.ts'
import { createCcrAdapter } from './platforms/ccr/adapter.ts'
import { createClientIdentity } from './platforms/claude/client-identity.ts'
import { createClaudeConsoleAdapter } from './platforms/claude/console-adapter.ts'
import { createConsoleQuota } from './platforms/claude/console-quota.ts'
import { maxOutputOf } from './platforms/claude/fixups.ts'
import { createClaudeOAuthAdapter } from './platforms/claude/oauth-adapter.ts'
import { createSessionTracker } from './platforms/claude/session-window.ts'
import { createDroidAdapter } from './platforms/droid/adapter.ts'
import { workosRefreshGrant } from './platforms/droid/workos.ts'
import { createGeminiPlatform } from './platforms/gemini/platform.ts'
import { createAzureOpenAIAdapter } from './platforms/openai/azure-adapter.ts'
import { createChatGPTAdapter } from './platforms/openai/chatgpt-adapter.ts'
import { createCodexUsageStore } from './platforms/openai/codex-usage.ts'
import { refreshChatGPTToken } from './platforms/openai/oauth.ts'
import { createOpenAIResponsesAdapter } from './platforms/openai/responses-adapter.ts'
import { createPlatformRegistry } from './platforms/registry.ts'
import { accessLogRecorder } from './relay/access-log.ts'
import { createAccountFetch } from './relay/account-fetch.ts'
import { createDeferred } from './relay/deferred.ts'
import { createRelayService } from './relay/pipeline.ts'
import { fanOutRecorder, type RequestRecorder } from './relay/recorder.ts'
import type { StreamFactory } from './relay/stream-relay.ts'
import { dnsResolver } from './runtime/dns.ts'
import { nodemailerSender } from './runtime/smtp.ts'
import { createUrlPolicy, type HostResolver } from './security/url-policy.ts'
import { openStores } from './storage/open.ts'
import type { SqlDatabase } from './storage/sqlite/driver.ts'
import type { Stores } from './storage/stores.ts'
import { loadPricing } from './usage/price-loader.ts'
import type { PriceSource } from './usage/pricing.ts'
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
  /** The runtime's stream for relayed answers (Bun: its direct stream). */
  makeStream?: StreamFactory
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
  /** The runtime's stream for relayed answers (default: the standard one). */
  makeStream?: StreamFactory
}

/** A wired relay: services, app and lifecycle hooks. */
export type Relay = Awaited<ReturnType<typeof buildRelay>>

/** Builds services and the HTTP app over existing stores. */
export async function buildRelay(options: BuildOptions) {
  const { config, secrets, stores, logger } = options
  const clock = options.clock ?? systemClock
  const baseFetch: FetchFn = options.fetch ?? ((input, init) => fetch(input, init))
  const lifecycle = createLifecycle((name, err) =>
    logger.error('error while stopping', { part: name, error: err }),
  )
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
    trustedUrls: [
      config.CLAUDE_API_URL,
      config.CLAUDE_OAUTH_TOKEN_URL,
      config.DROID_AUTH_URL,
      config.OPENAI_CHATGPT_BASE_URL,
      config.OPENAI_OAUTH_TOKEN_URL,
      config.GEMINI_CODE_ASSIST_URL,
      config.GEMINI_OAUTH_TOKEN_URL,
    ],
  })
  const webhooks = createWebhookService({
    settings: stores.settings,
    box,
    clock,
    logger,
    accounts,
    urlPolicy,
    sendMail: nodemailerSender,
  })
  const faults = createFaultMonitor({ clock, notify: webhooks.notify })
  const fetchFor = createAccountFetch({ baseFetch, urlPolicy, alert: webhooks.notify })
  const tokens = createTokenProvider({
    accounts,
    coord: stores.coord,
    clock,
    logger,
    tokenUrl: config.CLAUDE_OAUTH_TOKEN_URL,
    fetchFor,
  })
  const openaiTokens = createTokenProvider({
    accounts,
    coord: stores.coord,
    clock,
    logger,
    tokenUrl: config.OPENAI_OAUTH_TOKEN_URL,
    fetchFor,
    refreshGrant: (entry, refreshToken) =>
      refreshChatGPTToken(
        fetchFor(entry),
        config.OPENAI_OAUTH_TOKEN_URL,
        refreshToken,
        clock.now(),
      ),
  })
  const droidTokens = createTokenProvider({
    accounts,
    coord: stores.coord,
    clock,
    logger,
    tokenUrl: config.DROID_AUTH_URL,
    fetchFor,
    refreshGrant: workosRefreshGrant({
      authUrl: config.DROID_AUTH_URL,
      fetchFor,
      now: () => clock.now(),
    }),
  })
  const codexUsage = createCodexUsageStore({ coord: stores.coord, clock, logger })
  const gemini = createGeminiPlatform({
    config,
    accounts,
    coord: stores.coord,
    clock,
    logger,
    fetchFor,
  })
  const session = createSessionTracker({
    accounts,
    clock,
    logger,
    maxWarnings: config.CLAUDE_5H_WARNING_MAX_NOTIFICATIONS,
    coord: stores.coord,
  })
  const identity = createClientIdentity({ coord: stores.coord, clock, logger })
  const registry = createPlatformRegistry([
    createClaudeOAuthAdapter({
      config,
      tokens,
      identity,
      session,
      maxOutputTokens: (model) => maxOutputOf(prices.pricing, model),
    }),
    createClaudeConsoleAdapter({ config }),
    createBedrockAdapter(),
    createCcrAdapter({ config }),
    createDroidAdapter({ tokens: droidTokens }),
    createOpenAIResponsesAdapter(),
    createChatGPTAdapter({ config, tokens: openaiTokens, usage: codexUsage }),
    createAzureOpenAIAdapter(),
    ...gemini.adapters,
  ])
  const adminAuth = createAdminAuthService({
    settings: stores.settings,
    coord: stores.coord,
    hasher: options.hasher,
    clock,
    logger,
    sessionMaxAgeMs: config.ADMIN_SESSION_MAX_AGE,
  })
  await adminAuth.ensure({
    username: secrets.adminUsername,
    password: secrets.adminPassword,
    fromEnv: !secrets.adminPasswordFromFile,
  })
  const prices = await loadPricing({ config, logger, filePriceSource: options.filePriceSource })
  const pricing = prices.pricing

  // Requests whose response is complete are recorded on the next turn; usage and history flushes
  // first hand those over (the relay fills this queue).
  const deferred = createDeferred(logger)
  const usage = createUsageService({
    repo: stores.usage,
    limits: stores.limits,
    clock,
    logger,
    tzOffsetHours: config.TIMEZONE_OFFSET,
    retentionMs: config.TOKEN_USAGE_RETENTION,
    flushMs: config.USAGE_FLUSH_INTERVAL,
    beforeFlush: deferred.settle,
    faults,
  })
  const history = createHistoryService({
    repo: stores.history,
    settings: stores.settings,
    coord: stores.coord,
    clock,
    logger,
    defaults: historyDefaults(config.TOKEN_USAGE_RETENTION),
    writer: options.historyWriter,
    beforeFlush: deferred.settle,
    faults,
    // Never the admin password or other chosen values: a redacted guess would confirm it.
    knownSecrets: () => accounts.knownSecrets(),
  })
  await history.ready

  const audit = createAuditLog({ settings: stores.settings, clock, logger })
  const server = createServerHooks()
  const touchKeys: RequestRecorder = { record: (o) => void keys.touch(o.key).catch(() => {}) }
  const startedAt = clock.now()
  const metrics = createMetrics({
    accounts,
    ping: () => stores.ping(),
    pending: () => ({ history: history.pendingCount(), usage: usage.pendingCount() }),
    memory: options.memory,
    version: VERSION,
    startedAt,
    now: () => clock.now(),
  })
  const consoleQuota = createConsoleQuota({
    accounts,
    usage,
    clock,
    logger,
    tzOffsetHours: config.TIMEZONE_OFFSET,
  })
  const recorder = fanOutRecorder(
    [
      usage.recorder,
      history.recorder,
      metrics.recorder,
      touchKeys,
      accessLogRecorder(logger),
      consoleQuota.recorder,
      ...(options.recorders ?? []),
    ],
    (err) => logger.error('a request recorder failed', { error: err }),
  )
  const relay = createRelayService({
    config,
    keys,
    accounts,
    registry,
    limits: stores.limits,
    recorder,
    pricing,
    clock,
    logger,
    fetchFor,
    deferred,
    disableIdleTimeout: server.disableIdleTimeout,
    captureLimits: () => history.captureLimits(),
    makeStream: options.makeStream,
  })
  metrics.observeRelay(relay)

  let draining = false
  const app = createApp({
    config,
    stores,
    logger,
    clock,
    version: VERSION,
    startedAt,
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
      consoleQuota,
      claudeIdentity: identity,
    },
    accountOps: {
      tokens,
      fetchFor,
      fetch: baseFetch,
      urlPolicy,
      registry,
      openaiTokens,
      codexUsage,
      geminiTokens: gemini.tokens,
    },
    ipOf: clientIpResolver(config, server, (message) => logger.warn(message)),
    upgrade: server.upgrade,
    readAsset: options.readAsset,
    faults,
  })
  const maintenance = startMaintenance({
    accounts,
    keys,
    history,
    stores,
    clock,
    logger,
    cleanupIntervalMs: config.CLEANUP_INTERVAL,
    faults,
  })

  // Stop order: nothing new is started, in-flight recording is handed over, queues are
  // flushed, then storage closes.
  lifecycle.add('price reloads', prices.stop)
  lifecycle.add('session windows', session.stop)
  lifecycle.add('console quotas', consoleQuota.stop)
  lifecycle.add('relay', relay.stop)
  lifecycle.add('webhooks', webhooks.stop)
  lifecycle.add('usage', usage.stop)
  lifecycle.add('history', history.stop)
  lifecycle.add('audit log', audit.stop)
  lifecycle.add('maintenance', maintenance.stop)
  lifecycle.add('storage', stores.close)

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
      registry,
      session,
      consoleQuota,
    },
    /** Server hooks: the entry point attaches its server once listening. */
    server,
    /** The ordered list of parts stopped by `close()` (entry points add theirs at the end). */
    lifecycle,
    startDraining: () => {
      draining = true
    },
    /** Requests holding a lease right now. */
    inFlight: () => relay.inFlight(),
    /** Ends open streams (after the drain timeout); each is recorded as aborted. */
    abortStreams: () => relay.abortAll(),
    /** Runs the periodic maintenance now. */
    cleanup: maintenance.cleanup,
    /** Flushes pending writes and closes storage (the lifecycle's parts, in order). */
    close: () => lifecycle.stopAll(),
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
  const seedNotice = seedEnvNotice(env)
  if (seedNotice) logger.warn(seedNotice)
  runtime.ensureDir(config.DATA_DIR)
  const secrets = resolveSecrets(config, runtime.secretFiles)
  announceSecrets(secrets, logger)

  const choice = chooseStorage(config, runtime.secretFiles.join)
  const { stores, sqlite } = await openStores(choice, runtime, { clock, logger })
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
    makeStream: runtime.makeStream,
  })
  // After the serving connection closed, the thread's last checkpoint empties the WAL.
  if (checkpointer) relay.lifecycle.add('sqlite checkpoints', checkpointer.stop)
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
