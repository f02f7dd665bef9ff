/**
 * @module
 * Webhook notification settings: the one `webhooks` settings document (event switches, retry
 * policy, delivery platforms) and the event that is delivered. A platform's secret material (the
 * webhook URL, which carries the token for Slack/Discord/WeCom/DingTalk/Feishu, the signing secret
 * and the Telegram bot token) is stored only sealed; the document keeps a masked URL for display.
 */
import { type Static, Type as T, type TProperties } from '@sinclair/typebox'
import type { AccountEvent } from '../accounts/service.ts'

/** Every event type a webhook can be sent for. */
export const WEBHOOK_EVENT_TYPES = [
  'rate_limited',
  'overloaded',
  'cooling_down',
  'recovered',
  'unauthorized',
  'blocked',
  'refresh_failed',
  'session_warning',
  'session_reset',
  'quota_exceeded',
  'subscription_expiring',
  'test',
] as const

/** An event type a webhook can be sent for. */
export const WebhookEventType = T.Union(WEBHOOK_EVENT_TYPES.map((t) => T.Literal(t)))
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]

/** Every supported delivery platform. */
export const WEBHOOK_PLATFORM_TYPES = [
  'custom',
  'slack',
  'discord',
  'telegram',
  'feishu',
  'dingtalk',
  'wecom',
  'bark',
  'smtp',
] as const

/** A delivery platform type. */
// Unsafe keeps the union's schema and gives it the literal type (Elysia reads a mapped union as never).
export const WebhookPlatformType = T.Unsafe<(typeof WEBHOOK_PLATFORM_TYPES)[number]>(
  T.Union(WEBHOOK_PLATFORM_TYPES.map((t) => T.Literal(t))),
)
export type WebhookPlatformType = (typeof WEBHOOK_PLATFORM_TYPES)[number]

/** Which event types are sent (cooling down is off by default: it is frequent and short). */
export const WebhookEvents = T.Object({
  rate_limited: T.Boolean({ default: true }),
  overloaded: T.Boolean({ default: true }),
  cooling_down: T.Boolean({ default: false }),
  recovered: T.Boolean({ default: true }),
  unauthorized: T.Boolean({ default: true }),
  blocked: T.Boolean({ default: true }),
  refresh_failed: T.Boolean({ default: true }),
  session_warning: T.Boolean({ default: true }),
  session_reset: T.Boolean({ default: true }),
  quota_exceeded: T.Boolean({ default: true }),
  subscription_expiring: T.Boolean({ default: true }),
  test: T.Boolean({ default: true }),
})
export type WebhookEvents = Static<typeof WebhookEvents>

/** Retry policy: `retryDelayMs` doubles after each failed attempt. */
export const WebhookRetry = T.Object({
  maxRetries: T.Integer({ minimum: 0, maximum: 10, default: 3 }),
  retryDelayMs: T.Integer({ minimum: 0, maximum: 60_000, default: 1000 }),
  timeoutMs: T.Integer({ minimum: 1, maximum: 120_000, default: 10_000 }),
})
export type WebhookRetry = Static<typeof WebhookRetry>

/** A webhook platform's schema: its identity, `secretFields` (how its secrets appear), its flags. */
function platformSchema<P extends TProperties>(secretFields: P) {
  return T.Object({
    id: T.String(),
    type: WebhookPlatformType,
    name: T.String(),
    enabled: T.Boolean(),
    ...secretFields,
    hasSecret: T.Boolean(),
    hasBotToken: T.Boolean(),
    /** Telegram chat id. */
    chatId: T.Optional(T.String()),
    /** Telegram Bot API base URL (default `https://api.telegram.org`). */
    apiBaseUrl: T.Optional(T.String()),
    createdAt: T.String(),
    updatedAt: T.String(),
  })
}

/** A platform as stored: secrets only inside `sealed` (SecretBox of {@link WebhookSecrets}). */
export const StoredWebhookPlatform = platformSchema({
  /** SecretBox-sealed JSON of {@link WebhookSecrets}. */
  sealed: T.String(),
  /** The URL with its path masked, for display. */
  maskedUrl: T.String(),
})
export type StoredWebhookPlatform = Static<typeof StoredWebhookPlatform>

/** The `webhooks` settings document. */
export const WebhookSettings = T.Object({
  enabled: T.Boolean({ default: true }),
  events: WebhookEvents,
  retry: WebhookRetry,
  platforms: T.Array(StoredWebhookPlatform, { default: [] }),
})
export type WebhookSettings = Static<typeof WebhookSettings>

/** The sealed part of a platform. */
export const WebhookSecrets = T.Object({
  url: T.String(),
  secret: T.Optional(T.String()),
  botToken: T.Optional(T.String()),
})
export type WebhookSecrets = Static<typeof WebhookSecrets>

/** A platform as the admin API shows it (URL masked, secrets only as flags). */
export const WebhookPlatformView = platformSchema({ url: T.String() })
export type WebhookPlatformView = Static<typeof WebhookPlatformView>

/** The webhook configuration as the admin API shows it. */
export const WebhookConfigView = T.Object({
  enabled: T.Boolean(),
  events: WebhookEvents,
  retry: WebhookRetry,
  platforms: T.Array(WebhookPlatformView),
})
export type WebhookConfigView = Static<typeof WebhookConfigView>

/** Everything needed to deliver to one platform, secrets in plaintext (never stored like this). */
export const WebhookTarget = T.Object({
  type: WebhookPlatformType,
  /** Webhook URL (for Telegram: unused, may be empty). */
  url: T.String(),
  secret: T.Optional(T.String()),
  chatId: T.Optional(T.String()),
  botToken: T.Optional(T.String()),
  apiBaseUrl: T.Optional(T.String()),
})
export type WebhookTarget = Static<typeof WebhookTarget>

/** An event to deliver: an account event, or an admin-triggered `test` (empty platform). */
export type WebhookEvent = Omit<AccountEvent, 'type' | 'platform'> & {
  type: WebhookEventType
  platform: AccountEvent['platform'] | ''
}

/** One HTTP request a formatter produced. */
export interface WebhookRequest {
  url: string
  init: RequestInit & { method: 'POST'; headers: Record<string, string>; body: string }
}

/** What one delivery (with its retries) ended with. */
export const DeliveryResult = T.Object({
  delivered: T.Boolean(),
  attempts: T.Integer(),
  /** The last HTTP status, or null when no response arrived. */
  status: T.Union([T.Integer(), T.Null()], { description: 'the last HTTP status' }),
  error: T.Optional(T.String()),
})
export type DeliveryResult = Static<typeof DeliveryResult>
