/**
 * @module
 * `GET /metrics` in Prometheus text format. With METRICS_TOKEN set it requires
 * `Authorization: Bearer <token>`; without, only loopback clients may read it. Behind a reverse
 * proxy on the same host every client's socket address is loopback: unless TRUST_PROXY says how
 * to find the real one, a request that a proxy forwarded (it carries forwarding headers) is
 * refused too, so the proxy does not make the metrics public by accident.
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
  /** TRUST_PROXY is set: `ipOf` already reads the client behind the proxies. */
  trustProxy?: boolean
}

/** Headers a reverse proxy adds (nginx's X-Forwarded-For and X-Real-IP, RFC 7239, Via). */
const FORWARDING = ['x-forwarded-for', 'x-real-ip', 'forwarded', 'via', 'x-forwarded-host']

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
      } else if (
        !LOOPBACK.test(deps.ipOf(request)) ||
        (!deps.trustProxy && FORWARDING.some((h) => request.headers.has(h)))
      ) {
        throw new PermissionError(
          'Metrics are only served to loopback clients (not through a reverse proxy) unless METRICS_TOKEN is set',
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
