/**
 * @module
 * Composition of the HTTP surface: plugins, error mapping and every controller.
 */

import { Elysia } from 'elysia'
import type { AccountService } from '../accounts/service.ts'
import type { AuditLog } from '../admin/audit.ts'
import type { AdminAuthService } from '../admin/auth-service.ts'
import type { Config } from '../config/schema.ts'
import type { FaultReporter } from '../core/faults.ts'
import type { Clock, Logger } from '../core/ports.ts'
import type { HistoryService } from '../history/service.ts'
import type { KeyService } from '../keys/service.ts'
import type { MetricsService } from '../metrics/service.ts'
import type { WebhookService } from '../notify/service.ts'
import type { ClientIdentity } from '../platforms/claude/client-identity.ts'
import type { ConsoleQuota } from '../platforms/claude/console-quota.ts'
import type { RelayService } from '../relay/pipeline.ts'
import { trustsProxy } from '../security/client-ip.ts'
import type { Stores } from '../storage/stores.ts'
import type { Pricing } from '../usage/pricing.ts'
import type { UsageService } from '../usage/service.ts'
import { type WebAsset, webRoutes } from '../web/serve-web.ts'
import { type AccountOps, adminAccountRoutes } from './admin-accounts-routes.ts'
import { adminAnalyticsRoutes } from './admin-analytics-routes.ts'
import type { AdminGuardDeps } from './admin-guard.ts'
import { adminRoutes } from './admin-routes.ts'
import { adminSeedRoutes } from './admin-seed-routes.ts'
import { adminUsageViewRoutes } from './admin-usage-views-routes.ts'
import { adminWebhookRoutes } from './admin-webhook-routes.ts'
import { azureRoutes } from './azure-routes.ts'
import { claudeCompatRoutes } from './claude-compat-routes.ts'
import { compressionPlugin } from './compression.ts'
import { corsPlugin } from './cors.ts'
import { droidRoutes } from './droid-routes.ts'
import { errorPlugin } from './error-plugin.ts'
import { geminiRoutes } from './gemini-routes.ts'
import { healthRoutes } from './health-routes.ts'
import { historyRoutes } from './history-routes.ts'
import { keyBatchRoutes } from './key-batch-routes.ts'
import { keyRoutes } from './key-routes.ts'
import { legacyCompletionRoutes } from './legacy-completions-routes.ts'
import { metricsRoutes } from './metrics-routes.ts'
import { oemRoutes } from './oem-routes.ts'
import { openaiGeminiRoutes } from './openai-gemini-routes.ts'
import { openaiResponsesRoutes } from './openai-responses-routes.ts'
import { openaiRoutes } from './openai-routes.ts'
import { openapiPlugin } from './openapi.ts'
import { relayRoutes } from './relay-routes.ts'

/** The services the routes call. */
export interface AppServices {
  keys: KeyService
  accounts: AccountService
  relay: RelayService
  adminAuth: AdminAuthService
  usage: UsageService
  pricing: Pricing
  history: HistoryService
  audit: AuditLog
  webhooks: WebhookService
  metrics: MetricsService
  /** Daily quotas of Claude Console accounts (absent: the quota routes are not served). */
  consoleQuota?: ConsoleQuota
  /** Captured Claude Code headers per OAuth account. */
  claudeIdentity?: ClientIdentity
}

/** Everything the HTTP app is built from. */
export interface AppDeps {
  config: Config
  stores: Stores
  logger: Logger
  clock: Clock
  version: string
  startedAt: number
  jwtSecret: string
  isDraining: () => boolean
  /** Client IP of a request (socket address, or X-Forwarded-For behind a trusted proxy). */
  ipOf: (request: Request) => string
  services: AppServices
  /** Token refresh and proxy-aware fetch for the account admin operations. */
  accountOps: AccountOps
  /** Turns a request into a WebSocket (the server's hook; absent = no WebSocket routes). */
  upgrade?: (request: Request, session: unknown) => boolean
  /** Reads a built web UI file (served at `/web`); absent = the UI is not built. */
  readAsset?: (path: string) => Promise<WebAsset | null>
  /** Told what the health checks find about storage (webhook system events). */
  faults?: FaultReporter
}

/** Builds the Elysia app (no socket is opened here). */
export function createApp(deps: AppDeps) {
  const guard = {
    jwtSecret: deps.jwtSecret,
    auth: deps.services.adminAuth,
    audit: deps.services.audit,
    ipOf: deps.ipOf,
  }
  /** What the client routes (relay, key holder) are built from. */
  const client = {
    relay: deps.services.relay,
    keys: deps.services.keys,
    usage: deps.services.usage,
    limits: deps.stores.limits,
    clock: deps.clock,
    logger: deps.logger,
  }
  const app = new Elysia({ name: 'crs.app' })
  return app
    .use(errorPlugin(deps.logger))
    .use(compressionPlugin())
    .use(corsPlugin(deps.config.CORS_ORIGINS))
    .use(openapiPlugin(deps.version, () => app.routes))
    .use(healthRoutes(deps))
    .use(
      metricsRoutes({
        metrics: deps.services.metrics,
        token: deps.config.METRICS_TOKEN,
        ipOf: deps.ipOf,
        trustProxy: trustsProxy(deps.config.TRUST_PROXY),
      }),
    )
    .use(relayRoutes(client))
    .use(droidRoutes(client))
    .use(openaiRoutes(client))
    .use(azureRoutes(client))
    .use(geminiRoutes(client))
    .use(openaiGeminiRoutes(client))
    .use(openaiResponsesRoutes({ ...client, upgrade: deps.upgrade }))
    .use(keyRoutes({ ...client, config: deps.config }))
    .use(keyBatchRoutes({ ...client, tzOffsetHours: deps.config.TIMEZONE_OFFSET }))
    .use(
      historyRoutes({
        config: deps.config,
        history: deps.services.history,
        keys: deps.services.keys,
        clock: deps.clock,
        jwtSecret: deps.jwtSecret,
        auth: deps.services.adminAuth,
        guard,
      }),
    )
    .use(
      adminRoutes({
        config: deps.config,
        jwtSecret: deps.jwtSecret,
        auth: deps.services.adminAuth,
        guard,
        keys: deps.services.keys,
        usage: deps.services.usage,
        coord: deps.stores.coord,
        clock: deps.clock,
        ipOf: deps.ipOf,
        alert: deps.services.webhooks.notify,
      }),
    )
    .use(
      adminAnalyticsRoutes({
        config: deps.config,
        guard,
        keys: deps.services.keys,
        accounts: deps.services.accounts,
        usage: deps.services.usage,
        audit: deps.services.audit,
        clock: deps.clock,
      }),
    )
    .use(
      adminAccountRoutes({
        guard,
        keys: deps.services.keys,
        accounts: deps.services.accounts,
        config: deps.config,
        coord: deps.stores.coord,
        groupRepo: deps.stores.accounts,
        clock: deps.clock,
        ops: deps.accountOps,
      }),
    )
    .use(
      adminUsageViewRoutes({
        config: deps.config,
        guard,
        keys: deps.services.keys,
        accounts: deps.services.accounts,
        usage: deps.services.usage,
        usageRepo: deps.stores.usage,
        limits: deps.stores.limits,
        clock: deps.clock,
      }),
    )
    .use(adminWebhookRoutes({ guard, webhooks: deps.services.webhooks }))
    .use(claudeSeedRoutes(deps, guard))
    .use(webRoutes({ readAsset: deps.readAsset }))
}

/** The Claude side's remaining seed routes (health, stubs, legacy completions, key test). */
function claudeSeedRoutes(deps: AppDeps, guard: AdminGuardDeps) {
  const s = deps.services
  return new Elysia({ name: 'crs.claude-seed' })
    .use(
      claudeCompatRoutes({
        version: deps.version,
        clock: deps.clock,
        keys: s.keys,
        accounts: s.accounts,
        usage: s.usage,
        relay: s.relay,
      }),
    )
    .use(legacyCompletionRoutes({ relay: s.relay, keys: s.keys, logger: deps.logger }))
    .use(oemRoutes({ settings: deps.stores.settings, clock: deps.clock, guard }))
    .use(
      adminSeedRoutes({
        config: deps.config,
        guard,
        keys: s.keys,
        accounts: s.accounts,
        usage: s.usage,
        history: s.history,
        stores: deps.stores,
        clock: deps.clock,
        version: deps.version,
        consoleQuota: s.consoleQuota,
        identity: s.claudeIdentity,
      }),
    )
}

/** The app's type, for typed clients. */
export type App = ReturnType<typeof createApp>
