/**
 * @module
 * Concurrency leases held by requests in flight. A lease taken at admission expires by itself
 * (CONCURRENCY_LEASE_MS) unless renewed, so a crashed instance never holds a key's slots for
 * long; this registry renews every held lease a few times per lease period in one storage call,
 * and gives each lease back exactly once.
 */
import type { Clock, Logger } from '../core/ports.ts'
import type { LimitsRepository } from '../limits/repository.ts'

/** The lease registry. */
export interface Leases {
  /**
   * Registers a lease taken at admission and returns its release (idempotent: only the first
   * call gives the lease back).
   */
  hold(keyId: string, leaseId: string): () => void
  /** Leases held right now. */
  size(): number
  stop(): void
}

/** Creates the registry with its renewal timer. */
export function createLeases(options: {
  limits: LimitsRepository
  leaseMs: number
  clock: Clock
  logger: Logger
}): Leases {
  const { limits, leaseMs, clock, logger } = options
  const held = new Map<string, string>()
  const timer = setInterval(
    () => {
      if (held.size === 0) return
      const list = [...held].map(([leaseId, keyId]) => ({ keyId, leaseId }))
      void limits.renew(list, leaseMs, clock.now()).catch(() => {})
    },
    Math.max(1000, Math.floor(leaseMs / 3)),
  )
  ;(timer as { unref?: () => void }).unref?.()
  return {
    hold(keyId, leaseId) {
      held.set(leaseId, keyId)
      let live = true
      return () => {
        if (!live) return
        live = false
        held.delete(leaseId)
        void limits
          .release(keyId, leaseId)
          .catch((err) => logger.warn('cannot release lease', { requestId: leaseId, error: err }))
      }
    },
    size: () => held.size,
    stop: () => clearInterval(timer),
  }
}
