import { describe, expect, test } from 'bun:test'
import { Elysia } from 'elysia'
import { createNullLogger } from '../../src/core/log.ts'
import { systemClock } from '../../src/core/time.ts'
import { errorPlugin } from '../../src/http/error-plugin.ts'
import { healthRoutes } from '../../src/http/health-routes.ts'
import { openBunSqlite } from '../../src/runtime/bun.ts'
import { createSqliteStores } from '../../src/storage/sqlite/create.ts'
import type { Stores } from '../../src/storage/stores.ts'
import { req } from '../helpers/req.ts'

function appWith(stores: Stores, draining = false) {
  return new Elysia().use(errorPlugin(createNullLogger())).use(
    healthRoutes({
      stores,
      clock: systemClock,
      version: '9.9.9',
      startedAt: Date.now() - 5000,
      isDraining: () => draining,
    }),
  )
}

describe('http basics', () => {
  const stores = createSqliteStores(openBunSqlite(':memory:'))

  test('/health reports version, uptime and storage', async () => {
    const res = await appWith(stores).handle(req('/health'))
    expect(res.status).toBe(200)
    const body = (await res.json()) as any
    expect(body).toMatchObject({
      status: 'ok',
      version: '9.9.9',
      storage: { kind: 'sqlite', ok: true },
    })
    expect(body.uptime).toBeGreaterThanOrEqual(5)
    expect(typeof body.storage.latencyMs).toBe('number')
  })

  test('/health answers 503 when storage is down', async () => {
    const broken = { ...stores, ping: async () => Promise.reject(new Error('down')) } as Stores
    const res = await appWith(broken).handle(req('/health'))
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({
      status: 'unhealthy',
      storage: { ok: false, latencyMs: null },
    })
  })

  test('/health/ready answers 503 while draining', async () => {
    const res = await appWith(stores, true).handle(req('/health/ready'))
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ status: 'draining', ready: false })
  })

  test('every response carries a request id, errors included, and ids differ', async () => {
    const app = appWith(stores)
    const a = await app.handle(req('/health'))
    const b = await app.handle(req('/nope'))
    expect(a.headers.get('request-id')).toMatch(/^req_/)
    expect(b.headers.get('request-id')).toMatch(/^req_/)
    expect(a.headers.get('request-id')).not.toBe(b.headers.get('request-id'))
    expect(b.status).toBe(404)
    expect(await b.json()).toEqual({
      type: 'error',
      error: { type: 'not_found_error', message: 'Cannot find route GET /nope' },
      request_id: b.headers.get('request-id'),
    })
  })
})
