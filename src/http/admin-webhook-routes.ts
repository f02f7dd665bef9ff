/**
 * @module
 * Admin API for webhook notifications (seed-compatible `{ success, data }` envelopes under
 * `/admin/webhook`): read and change the configuration, add, edit, delete and toggle delivery
 * platforms, and send a test notification. Secrets never leave in plaintext: URLs are masked and
 * secrets show as `hasSecret`/`hasBotToken`; every write is audited with masked before/after.
 */
import { Elysia, t } from 'elysia'
import { DeliveryResult, WebhookConfigView, WebhookPlatformView } from '../notify/model.ts'
import type { WebhookService } from '../notify/service.ts'
import { type AdminGuardDeps, adminGuard } from './admin-guard.ts'
import { IdParams, OkMessage, ok, strictBody } from './schemas/common.ts'
import { WebhookConfigBody, WebhookPlatformBody, WebhookTestBody } from './schemas/webhooks.ts'

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
      response: ok(WebhookConfigView),
      detail: { tags, summary: 'Webhook configuration (URLs masked, secrets as flags)' },
    })
    .post(
      '/config',
      async ({ body, audit }) => {
        const { before, after } = await webhooks.updateConfig(body ?? {})
        audit('webhook.config.update', 'webhooks', before, after)
        return { success: true, data: after }
      },
      {
        ...strictBody(t.Optional(WebhookConfigBody)),
        response: ok(WebhookConfigView),
        detail: { tags, summary: 'Change enabled, event switches and retry policy' },
      },
    )
    .post(
      '/platforms',
      async ({ body, audit }) => {
        const platform = await webhooks.addPlatform(body ?? {})
        audit('webhook.platform.create', platform.id, null, platform)
        return { success: true, data: platform }
      },
      {
        ...strictBody(t.Optional(WebhookPlatformBody)),
        response: ok(WebhookPlatformView),
        detail: { tags, summary: 'Add a delivery platform (secrets are stored encrypted)' },
      },
    )
    .put(
      '/platforms/:id',
      async ({ params, body, audit }) => {
        const { before, after } = await webhooks.updatePlatform(params.id, body ?? {})
        audit('webhook.platform.update', params.id, before, after)
        return { success: true, data: after }
      },
      {
        params: IdParams,
        ...strictBody(t.Optional(WebhookPlatformBody)),
        response: ok(WebhookPlatformView),
        detail: { tags, summary: 'Edit a delivery platform (secrets left out are kept)' },
      },
    )
    .delete(
      '/platforms/:id',
      async ({ params, audit }) => {
        const before = await webhooks.removePlatform(params.id)
        audit('webhook.platform.delete', params.id, before, null)
        return { success: true, message: 'Webhook platform deleted' }
      },
      {
        params: IdParams,
        response: OkMessage,
        detail: { tags, summary: 'Delete a delivery platform' },
      },
    )
    .post(
      '/platforms/:id/toggle',
      async ({ params, audit }) => {
        const { before, after } = await webhooks.togglePlatform(params.id)
        audit('webhook.platform.toggle', params.id, before, after)
        return { success: true, data: after }
      },
      {
        params: IdParams,
        response: ok(WebhookPlatformView),
        detail: { tags, summary: 'Enable or disable a delivery platform' },
      },
    )
    .post(
      '/test',
      async ({ body, audit }) => {
        const input = body ?? {}
        const result = await webhooks.test(input)
        audit('webhook.test', input.platformId ?? 'unsaved', null, result)
        return { success: result.delivered, data: result }
      },
      {
        ...strictBody(t.Optional(WebhookTestBody)),
        response: ok(DeliveryResult),
        detail: {
          tags,
          summary: 'Send a test notification now to a saved or unsaved platform; reports attempts',
        },
      },
    )
}
