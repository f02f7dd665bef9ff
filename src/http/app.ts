/**
 * @module
 * Composition of the HTTP surface: plugins, error mapping and every controller.
 */
import { Elysia } from 'elysia'
import type { Config } from '../config/schema.ts'
import type { Clock, Logger } from '../core/ports.ts'
import type { Stores } from '../storage/stores.ts'
import { errorPlugin } from './error-plugin.ts'
import { healthRoutes } from './health-routes.ts'

/** Everything the HTTP app is built from. */
export interface AppDeps {
  config: Config
  stores: Stores
  logger: Logger
  clock: Clock
  version: string
  startedAt: number
  isDraining: () => boolean
}

/** Builds the Elysia app (no socket is opened here). */
export function createApp(deps: AppDeps) {
  return new Elysia({ name: 'crs.app' }).use(errorPlugin(deps.logger)).use(healthRoutes(deps))
}

/** The app's type, for typed clients. */
export type App = ReturnType<typeof createApp>
