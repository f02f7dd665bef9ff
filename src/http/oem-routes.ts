/**
 * @module
 * OEM settings as the seed keeps them: the site name and icon shown in the admin UI and on the
 * public stats page, and whether the public page shows the admin button. Read without signing in
 * (the UI shows them before sign-in), written by the admin (audited).
 */
import { Elysia, t } from 'elysia'
import type { Clock } from '../core/ports.ts'
import type { SettingsRepository } from '../settings/repository.ts'
import { type AdminGuardDeps, adminGuard } from './admin-guard.ts'

/** The stored OEM settings. */
export interface OemSettings {
  siteName: string
  siteIcon: string
  siteIconData: string
  showAdminButton: boolean
  updatedAt: string | null
}

const DEFAULTS: OemSettings = {
  siteName: 'Claude Relay Service',
  siteIcon: '',
  siteIconData: '',
  showAdminButton: true,
  updatedAt: null,
}

/** Largest icon accepted inline (the seed's limit: 350 KB of base64). */
const MAX_ICON_DATA = 350 * 1024

const Body = t.Object({
  siteName: t.Optional(t.String({ maxLength: 100 })),
  siteIcon: t.Optional(t.String({ maxLength: 2048, pattern: '^(https?://\\S+|/\\S*)?$' })),
  siteIconData: t.Optional(
    t.String({
      maxLength: MAX_ICON_DATA,
      pattern:
        '^(data:image/(png|jpeg|gif|webp|svg\\+xml|x-icon|vnd\\.microsoft\\.icon);base64,[A-Za-z0-9+/=]+)?$',
    }),
  ),
  showAdminButton: t.Optional(t.Boolean()),
})

/** OEM controller. */
export function oemRoutes(deps: {
  settings: SettingsRepository
  clock: Clock
  guard: AdminGuardDeps
}) {
  const read = async (): Promise<OemSettings> => ({
    ...DEFAULTS,
    ...((await deps.settings.get('oem')) as Partial<OemSettings> | null),
  })
  const pub = new Elysia({ prefix: '/admin', name: 'crs.oem-public' }).get(
    '/oem-settings',
    async () => ({ success: true, data: await read() }),
    { detail: { tags: ['system'], summary: 'Site name and icon (no sign-in needed)' } },
  )
  const admin = new Elysia({ prefix: '/admin', name: 'crs.oem-admin' })
    .use(adminGuard(deps.guard))
    .put(
      '/oem-settings',
      async ({ body }) => {
        const next: OemSettings = {
          ...(await read()),
          ...body,
          siteName: body.siteName?.trim() || DEFAULTS.siteName,
          updatedAt: new Date(deps.clock.now()).toISOString(),
        }
        await deps.settings.put('oem', next)
        return { success: true, data: next }
      },
      { body: Body, detail: { tags: ['system'], summary: 'Changes the site name and icon' } },
    )
  return new Elysia({ name: 'crs.oem' }).use(pub).use(admin)
}
