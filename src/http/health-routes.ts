/**
 * @module
 * Liveness and readiness: `/health` reports version, uptime and storage health (503 when storage
 * is down); `/health/ready` is also 503 while the process drains for shutdown.
 */
import { Elysia } from 'elysia'
import type { Clock } from '../core/ports.ts'
import type { Stores } from '../storage/stores.ts'

/** What the health routes need. */
export interface HealthDeps {
  stores: Pick<Stores, 'kind' | 'ping'>
  clock: Clock
  version: string
  startedAt: number
  isDraining: () => boolean
}

async function storageHealth(stores: HealthDeps['stores']) {
  try {
    const latencyMs = await Promise.race([
      stores.ping(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000)),
    ])
    return { kind: stores.kind, ok: true, latencyMs: Math.round(latencyMs * 100) / 100 }
  } catch {
    return { kind: stores.kind, ok: false, latencyMs: null }
  }
}

/** Health controller. */
export function healthRoutes(deps: HealthDeps) {
  const body = async () => {
    const storage = await storageHealth(deps.stores)
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
