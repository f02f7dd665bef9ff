/**
 * @module
 * Droid onboarding with a Factory sign-in (WorkOS device flow, as the seed): `generate-auth-url`
 * starts it and shows the code to type at WorkOS; `exchange-code` polls once and answers
 * `pending` until the admin approved, then the tokens (and the organization) that a Droid account
 * is created with. The device code stays in a short-lived coordination value, never in an answer.
 */
import { Elysia } from 'elysia'
import type { Config } from '../config/schema.ts'
import type { CoordRepository } from '../coord/repository.ts'
import { InvalidRequestError, RelayError } from '../core/errors.ts'
import { newId } from '../core/ids.ts'
import type { FetchFn } from '../core/ports.ts'
import { pollDeviceToken, startDeviceAuthorization } from '../platforms/droid/workos.ts'
import type { Body } from './account-input.ts'
import { type AdminGuardDeps, adminGuard } from './admin-guard.ts'

const SESSION = 'droid-device:'

/** Droid onboarding routes. */
export function adminDroidRoutes(deps: {
  guard: AdminGuardDeps
  coord: CoordRepository
  config: Pick<Config, 'DROID_AUTH_URL'>
  fetch: FetchFn
}) {
  const authUrl = deps.config.DROID_AUTH_URL
  const doc = (summary: string) => ({ detail: { tags: ['accounts'], summary } })
  return new Elysia({ prefix: '/admin', name: 'crs.admin-droid' })
    .use(adminGuard(deps.guard))
    .post(
      '/droid-accounts/generate-auth-url',
      async ({ audit }) => {
        let started: Awaited<ReturnType<typeof startDeviceAuthorization>>
        try {
          started = await startDeviceAuthorization(deps.fetch, authUrl)
        } catch (err) {
          throw new RelayError(502, 'api_error', err instanceof Error ? err.message : String(err))
        }
        const sessionId = newId()
        const { deviceCode, ...shown } = started
        await deps.coord.setTemp(
          SESSION + sessionId,
          JSON.stringify({ deviceCode }),
          started.expiresIn * 1000,
        )
        audit('account.droid_device.start', sessionId, null, { sessionId })
        return {
          success: true,
          data: {
            sessionId,
            ...shown,
            instructions: `Open ${shown.verificationUriComplete || shown.verificationUri}, enter ${shown.userCode} and approve; then call exchange-code with the sessionId.`,
          },
        }
      },
      doc('Start a Factory (WorkOS device) sign-in for a Droid account'),
    )
    .post(
      '/droid-accounts/exchange-code',
      async ({ body, audit }) => {
        const raw0 = ((body ?? {}) as Body).sessionId
        const sessionId = typeof raw0 === 'string' ? raw0 : ''
        const raw = await deps.coord.getTemp(SESSION + sessionId)
        if (!raw) throw new InvalidRequestError('sessionId: unknown or expired; start again')
        const { deviceCode } = JSON.parse(raw) as { deviceCode: string }
        let r: Awaited<ReturnType<typeof pollDeviceToken>>
        try {
          r = await pollDeviceToken(deps.fetch, authUrl, deviceCode)
        } catch (err) {
          throw new RelayError(502, 'api_error', err instanceof Error ? err.message : String(err))
        }
        if (r.kind === 'pending')
          return { success: false, pending: true, error: r.error, retryAfter: 5 }
        await deps.coord.deleteTemp(SESSION + sessionId)
        if (r.kind === 'failed')
          throw new InvalidRequestError(`Factory sign-in failed: ${r.error} (start again)`)
        const d = r.data
        audit('account.droid_device.done', sessionId, null, { sessionId })
        return {
          success: true,
          data: {
            accessToken: d.access_token,
            refreshToken: d.refresh_token ?? null,
            expiresIn: d.expires_in ?? null,
            organizationId: d.organization_id ?? null,
            user: d.user ?? null,
          },
        }
      },
      doc('Poll a Factory sign-in once: pending, or the tokens to create a Droid account with'),
    )
}
