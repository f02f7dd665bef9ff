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
  'system_error',
  'system_recovered',
  'security_alert',
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
  system_error: T.Boolean({ default: true }),
  system_recovered: T.Boolean({ default: true }),
  security_alert: T.Boolean({ default: true }),
  test: T.Boolean({ default: true }),
})
export type WebhookEvents = Static<typeof WebhookEvents>

/** The seed's notification types (`notificationTypes` of its webhook configuration). */
export const NOTIFICATION_TYPES = [
  'accountAnomaly',
  'quotaWarning',
  'systemError',
  'securityAlert',
  'rateLimitRecovery',
  'test',
] as const
export type NotificationType = (typeof NOTIFICATION_TYPES)[number]

/** Which notification types are sent, as the seed names them (all on by default). */
export const NotificationTypes = T.Object({
  accountAnomaly: T.Boolean({ default: true }),
  quotaWarning: T.Boolean({ default: true }),
  systemError: T.Boolean({ default: true }),
  securityAlert: T.Boolean({ default: true }),
  rateLimitRecovery: T.Boolean({ default: true }),
  test: T.Boolean({ default: true }),
})
export type NotificationTypes = Static<typeof NotificationTypes>

/**
 * The notification type of each event: an event is sent when its own switch and its type's
 * switch are both on.
 */
export const NOTIFICATION_TYPE_OF: Record<WebhookEventType, NotificationType> = {
  rate_limited: 'accountAnomaly',
  overloaded: 'accountAnomaly',
  cooling_down: 'accountAnomaly',
  unauthorized: 'accountAnomaly',
  blocked: 'accountAnomaly',
  refresh_failed: 'accountAnomaly',
  recovered: 'rateLimitRecovery',
  session_reset: 'rateLimitRecovery',
  session_warning: 'quotaWarning',
  quota_exceeded: 'quotaWarning',
  subscription_expiring: 'quotaWarning',
  system_error: 'systemError',
  system_recovered: 'systemError',
  security_alert: 'securityAlert',
  test: 'test',
}

/** Bark's interruption levels. */
export const BARK_LEVELS = ['active', 'timeSensitive', 'passive', 'critical'] as const

/** The seed's optional Bark push fields, kept per platform (not secret). */
const BARK_FIELDS = {
  /** Bark sound name (e.g. `minuet`). */
  sound: T.Optional(T.String()),
  /** Bark group (default `claude-relay`). */
  group: T.Optional(T.String()),
  /** Bark level for every push (default: `timeSensitive` for urgent events, else `active`). */
  level: T.Optional(
    T.Unsafe<(typeof BARK_LEVELS)[number]>(T.Union(BARK_LEVELS.map((l) => T.Literal(l)))),
  ),
  /** Bark icon URL. */
  icon: T.Optional(T.String()),
}

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
    ...BARK_FIELDS,
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
  notificationTypes: NotificationTypes,
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
  notificationTypes: NotificationTypes,
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
  ...BARK_FIELDS,
})
export type WebhookTarget = Static<typeof WebhookTarget>

/**
 * An event to deliver: an account event, a system or security event (no account: `subject` says
 * what it is about, `code` which fault or detection), or an admin-triggered `test`.
 */
export type WebhookEvent = Omit<AccountEvent, 'type' | 'platform'> & {
  type: WebhookEventType
  platform: AccountEvent['platform'] | ''
  /** What a system or security event is about (a component, an address, a user name). */
  subject?: string
  /** The fault or detection, e.g. `storage_unreachable`, `admin_login_locked`. */
  code?: string
}

/** A system or security event as its source reports it. */
export interface SystemNotice {
  type: 'system_error' | 'system_recovered' | 'security_alert'
  code: string
  subject: string
  message: string
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
