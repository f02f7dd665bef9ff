/**
 * @module
 * Liveness and readiness: `/health` reports version, uptime and storage health (503 when storage
 * is down); `/health/ready` is also 503 while the process drains for shutdown.
 */
import { Elysia } from 'elysia'
import type { FaultReporter } from '../core/faults.ts'
import type { Clock } from '../core/ports.ts'
import { pingWithin, type Stores, storageDownText } from '../storage/stores.ts'

/** What the health routes need. */
export interface HealthDeps {
  stores: Pick<Stores, 'kind' | 'ping'>
  clock: Clock
  version: string
  startedAt: number
  isDraining: () => boolean
  /** Told when a check finds storage unreachable (`storage_unreachable`) and reachable again. */
  faults?: FaultReporter
}

async function storageHealth(deps: Pick<HealthDeps, 'stores' | 'faults'>) {
  const { stores } = deps
  try {
    const latencyMs = await pingWithin(stores, 2000)
    deps.faults?.recovered('storage_unreachable')
    return { kind: stores.kind, ok: true, latencyMs: Math.round(latencyMs * 100) / 100 }
  } catch (err) {
    deps.faults?.failed('storage_unreachable', storageDownText(stores.kind, err))
    return { kind: stores.kind, ok: false, latencyMs: null }
  }
}

/** Health controller. */
export function healthRoutes(deps: HealthDeps) {
  const body = async () => {
    const storage = await storageHealth(deps)
    return {
      status: storage.ok ? 'ok' : 'unhealthy',
      version: deps.version,
      uptime: Math.round((deps.clock.now() - deps.startedAt) / 1000),
      storage,
    }
  }
  return new Elysia({ name: 'crs.health' })
    .get(
      '/health',
      async ({ set }) => {
        const b = await body()
        if (!b.storage.ok) set.status = 503
        return b
      },
      { detail: { tags: ['health'], summary: 'Liveness and storage health' } },
    )
    .get(
      '/health/ready',
      async ({ set }) => {
        const b = await body()
        const draining = deps.isDraining()
        if (!b.storage.ok || draining) set.status = 503
        return { ...b, status: draining ? 'draining' : b.status, ready: b.storage.ok && !draining }
      },
      { detail: { tags: ['health'], summary: 'Readiness: storage reachable and not draining' } },
    )
}
