/**
 * @module
 * `GET /metrics` in Prometheus text format. With METRICS_TOKEN set it requires
 * `Authorization: Bearer <token>`; without, only loopback clients may read it.
 */
import { Elysia } from 'elysia'
import { timingSafeEqual } from '../core/crypto.ts'
import { AuthenticationError, PermissionError } from '../core/errors.ts'
import type { MetricsService } from '../metrics/service.ts'

/** What the metrics route needs. */
export interface MetricsRouteDeps {
  metrics: MetricsService
  token?: string
  ipOf: (request: Request) => string
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/

/** Metrics controller. */
export function metricsRoutes(deps: MetricsRouteDeps) {
  return new Elysia({ name: 'crs.metrics' }).get(
    '/metrics',
    async ({ request }) => {
      if (deps.token) {
        const given =
          /^bearer\s+(.+)$/i.exec(request.headers.get('authorization') ?? '')?.[1]?.trim() ?? ''
        if (!timingSafeEqual(given, deps.token))
          throw new AuthenticationError('Metrics need Authorization: Bearer <METRICS_TOKEN>')
      } else if (!LOOPBACK.test(deps.ipOf(request))) {
        throw new PermissionError(
          'Metrics are only served to loopback clients unless METRICS_TOKEN is set',
        )
      }
      return new Response(await deps.metrics.render(), {
        headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
      })
    },
    {
      detail: {
        tags: ['health'],
        summary: 'Prometheus metrics (METRICS_TOKEN bearer, or loopback only)',
      },
    },
  )
}
