/**
 * @module
 * Admin API for webhook notifications (seed-compatible `{ success, data }` envelopes under
 * `/admin/webhook`): read and change the configuration, add, edit, delete and toggle delivery
 * platforms, and send a test notification. Secrets never leave in plaintext: URLs are masked and
 * secrets show as `hasSecret`/`hasBotToken`; every write is audited with masked before/after.
 */
import { Elysia } from 'elysia'
import { bodyOf, type WebhookService } from '../notify/service.ts'
import { type AdminGuardDeps, adminGuard } from './admin-guard.ts'

/** What the webhook admin routes need. */
export interface AdminWebhookRouteDeps {
  guard: AdminGuardDeps
  webhooks: WebhookService
}

const tags = ['webhooks']

/** Webhook admin controller. */
export function adminWebhookRoutes(deps: AdminWebhookRouteDeps) {
  const { webhooks } = deps
  return new Elysia({ prefix: '/admin/webhook', name: 'crs.admin-webhooks' })
    .use(adminGuard(deps.guard))
    .get('/config', async () => ({ success: true, data: await webhooks.getConfig() }), {
      detail: { tags, summary: 'Webhook configuration (URLs masked, secrets as flags)' },
    })
    .post(
      '/config',
      async ({ body, audit }) => {
        const { before, after } = await webhooks.updateConfig(bodyOf(body))
        audit('webhook.config.update', 'webhooks', before, after)
        return { success: true, data: after }
      },
      { detail: { tags, summary: 'Change enabled, event switches and retry policy' } },
    )
    .post(
      '/platforms',
      async ({ body, audit }) => {
        const platform = await webhooks.addPlatform(bodyOf(body))
        audit('webhook.platform.create', platform.id, null, platform)
        return { success: true, data: platform }
      },
      { detail: { tags, summary: 'Add a delivery platform (secrets are stored encrypted)' } },
    )
    .put(
      '/platforms/:id',
      async ({ params, body, audit }) => {
        const { before, after } = await webhooks.updatePlatform(params.id, bodyOf(body))
        audit('webhook.platform.update', params.id, before, after)
        return { success: true, data: after }
      },
      { detail: { tags, summary: 'Edit a delivery platform (secrets left out are kept)' } },
    )
    .delete(
      '/platforms/:id',
      async ({ params, audit }) => {
        const before = await webhooks.removePlatform(params.id)
        audit('webhook.platform.delete', params.id, before, null)
        return { success: true, message: 'Webhook platform deleted' }
      },
      { detail: { tags, summary: 'Delete a delivery platform' } },
    )
    .post(
      '/platforms/:id/toggle',
      async ({ params, audit }) => {
        const { before, after } = await webhooks.togglePlatform(params.id)
        audit('webhook.platform.toggle', params.id, before, after)
        return { success: true, data: after }
      },
      { detail: { tags, summary: 'Enable or disable a delivery platform' } },
    )
    .post(
      '/test',
      async ({ body, audit }) => {
        const input = bodyOf(body)
        const result = await webhooks.test(input)
        const target = typeof input.platformId === 'string' ? input.platformId : 'unsaved'
        audit('webhook.test', target, null, result)
        return { success: result.delivered, data: result }
      },
      {
        detail: {
          tags,
          summary: 'Send a test notification now to a saved or unsaved platform; reports attempts',
        },
      },
    )
}
