/**
 * @module
 * Schemas of the webhook admin API. Bodies are checked as sent with the same field-named
 * messages the webhook rules (`notify/config.ts`) use, which check the rest (a type's required
 * fields, URLs, which types take a secret, event names, retry ranges).
 */
import type { Static, TSchema } from '@sinclair/typebox'
import { t as T } from 'elysia'
import {
  BARK_LEVELS,
  NOTIFICATION_TYPES,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_PLATFORM_TYPES,
  WebhookRetry,
} from '../../notify/model.ts'

/** A text field that null or '' clears. */
const text = (field: string, description: string, error = `${field}: expected a string`) =>
  T.Optional(T.Union([T.String(), T.Null()], { description, error }))

const enabled = (what: string) =>
  T.Optional(T.Boolean({ description: what, error: 'enabled: expected true or false' }))

const PLATFORM_FIELDS = {
  type: T.Optional(
    T.String({
      description: `${WEBHOOK_PLATFORM_TYPES.join(' | ')} (also wechat_work, lark)`,
      error: `type: expected one of ${WEBHOOK_PLATFORM_TYPES.join(', ')}`,
    }),
  ),
  name: text('name', 'shown in the list (default: the type)'),
  enabled: enabled('deliveries go to it (default true)'),
  url: text('url', 'the webhook URL (not telegram)', 'url: expected an http(s) URL'),
  secret: text('secret', 'signing secret of custom, feishu and dingtalk; sealed, never shown'),
  botToken: text('botToken', 'telegram bot token; sealed, never shown'),
  chatId: text('chatId', 'telegram chat id'),
  apiBaseUrl: text('apiBaseUrl', 'telegram Bot API server (default api.telegram.org)'),
  deviceKey: text('deviceKey', 'bark device key (with serverUrl instead of url); sealed'),
  serverUrl: text('serverUrl', 'bark server (default https://api.day.app)'),
  sound: text('sound', 'bark sound name'),
  group: text('group', 'bark group (default claude-relay)'),
  level: text('level', `bark level: ${BARK_LEVELS.join(' | ')} (default by event)`),
  icon: text('icon', 'bark icon URL', 'icon: expected an http(s) URL'),
}

/** A delivery platform (add; on edit, fields left out are kept). */
export const WebhookPlatformBody = T.Object(PLATFORM_FIELDS, { additionalProperties: true })

/** A test: a saved platform by id, or an unsaved one's fields. */
export const WebhookTestBody = T.Object(
  {
    platformId: T.Optional(T.String({ minLength: 1, error: 'platformId: expected a platform id' })),
    ...PLATFORM_FIELDS,
  },
  { additionalProperties: true },
)

/** An object of `names` → `value` (each key checked by the webhook rules). */
const objectOf = (error: string, description: string, value: TSchema) =>
  T.Optional(T.Record(T.String(), value, { error, description }))

/** A configuration change: global switch, event and notification type switches, retry policy. */
export const WebhookConfigBody = T.Object(
  {
    enabled: enabled('notifications are sent at all'),
    events: objectOf(
      'events: expected an object of event type → true/false',
      `event type → true/false; types: ${WEBHOOK_EVENT_TYPES.join(', ')}`,
      T.Unknown(),
    ),
    notificationTypes: objectOf(
      'notificationTypes: expected an object of notification type → true/false',
      `the seed's notification types → true/false (an event is sent when its type is on too): ${NOTIFICATION_TYPES.join(', ')}`,
      T.Unknown(),
    ),
    retry: objectOf(
      'retry: expected an object',
      `any of ${Object.keys(WebhookRetry.properties).join(', ')} (integers)`,
      T.Unknown(),
    ),
  },
  { additionalProperties: true },
)
export type WebhookConfigBody = Static<typeof WebhookConfigBody>
