/**
 * @module
 * Admin sessions and API keys: the sign-in and session routes (`admin-session-routes.ts`) and
 * the key routes (`admin-key-routes.ts`) over the key admin service (`keys/admin.ts`).
 */
import { Elysia } from 'elysia'
import type { AdminAuthService } from '../admin/auth-service.ts'
import type { Config } from '../config/schema.ts'
import type { CoordRepository } from '../coord/repository.ts'
import type { Clock } from '../core/ports.ts'
import { createKeyAdmin } from '../keys/admin.ts'
import type { KeyService } from '../keys/service.ts'
import type { SystemNotice } from '../notify/model.ts'
import type { UsageService } from '../usage/service.ts'
import type { AdminGuardDeps } from './admin-guard.ts'
import { adminKeyRoutes } from './admin-key-routes.ts'
import { adminSessionRoutes } from './admin-session-routes.ts'

export { keyStatus, keyView } from '../keys/admin.ts'
export { LOGIN_LIMITS, loginDelayMs } from './admin-session-routes.ts'

/** What the admin routes need. */
export interface AdminRouteDeps {
  config: Config
  jwtSecret: string
  auth: AdminAuthService
  guard: AdminGuardDeps
  keys: KeyService
  usage: UsageService
  coord: CoordRepository
  clock: Clock
  ipOf: (request: Request) => string
  /** Sends security alerts (sign-in lockouts). */
  alert?: (notice: SystemNotice) => void
}

/** Admin controller for sessions and keys. */
export function adminRoutes(deps: AdminRouteDeps) {
  const keyAdmin = createKeyAdmin({
    keys: deps.keys,
    usage: deps.usage,
    clock: deps.clock,
    timezoneOffset: deps.config.TIMEZONE_OFFSET,
  })
  return new Elysia({ name: 'crs.admin-all' })
    .use(adminSessionRoutes(deps))
    .use(adminKeyRoutes({ guard: deps.guard, keyAdmin }))
}
