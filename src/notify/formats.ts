/**
 * @module
 * One pure function per platform turning an event into the HTTP request to send (`{ url, init }`),
 * plus URL masking. Text is plain English: title, account, event, message, until and time (ISO).
 * Signing follows each platform's documentation: Feishu puts `timestamp` + `sign` (HMAC-SHA256
 * keyed with `timestamp\nsecret` over an empty message, base64) in the body; DingTalk appends
 * `&timestamp=…&sign=…` (HMAC-SHA256 of `timestamp\nsecret` keyed with the secret, base64, URL
 * encoded); a `custom` platform with a secret gets `x-webhook-signature: sha256=<hex>` over
 * `timestamp.body`. Only Web Crypto is used, so this runs on Bun and Deno.
 */
import { toHex } from '../core/crypto.ts'
import {
  NOTIFICATION_TYPE_OF,
  type WebhookEvent,
  type WebhookEventType,
  type WebhookPlatformType,
  type WebhookRequest,
  type WebhookTarget,
} from './model.ts'

/** Options shared by the formatters. */
export interface FormatOptions {
  /** Signing time (epoch ms). */
  now: number
}

/** Default Telegram Bot API base URL. */
export const TELEGRAM_API = 'https://api.telegram.org'

/** User-Agent sent with every webhook. */
export const WEBHOOK_USER_AGENT = 'claude-relay-service-webhook/1'

const TITLES: Record<WebhookEventType, string> = {
  rate_limited: 'Account rate limited',
  overloaded: 'Account overloaded',
  cooling_down: 'Account cooling down',
  recovered: 'Account recovered',
  unauthorized: 'Account unauthorized',
  blocked: 'Account blocked',
  refresh_failed: 'Token refresh failed',
  session_warning: '5-hour window warning',
  session_reset: '5-hour window reset',
  quota_exceeded: 'Daily quota exceeded',
  subscription_expiring: 'Subscription expiring',
  system_error: 'System error',
  system_recovered: 'System recovered',
  security_alert: 'Security alert',
  test: 'Test notification',
}

const COLORS: Record<WebhookEventType, number> = {
  rate_limited: 0xf59e0b,
  overloaded: 0xf59e0b,
  cooling_down: 0x3b82f6,
  recovered: 0x22c55e,
  unauthorized: 0xef4444,
  blocked: 0xef4444,
  refresh_failed: 0xef4444,
  session_warning: 0xf59e0b,
  session_reset: 0x22c55e,
  quota_exceeded: 0xf59e0b,
  subscription_expiring: 0xf59e0b,
  system_error: 0xef4444,
  system_recovered: 0x22c55e,
  security_alert: 0xef4444,
  test: 0x6b7280,
}

/** Events that say something is well again. */
const GOOD_NEWS: ReadonlySet<WebhookEventType> = new Set([
  'recovered',
  'session_reset',
  'system_recovered',
])

/** Events someone should look at soon (Bark sends them time-sensitive unless a level is set). */
const URGENT: ReadonlySet<WebhookEventType> = new Set([
  'unauthorized',
  'blocked',
  'refresh_failed',
  'quota_exceeded',
  'system_error',
  'security_alert',
])

const encoder = new TextEncoder()

/** The notification title of an event. */
export function eventTitle(event: WebhookEvent): string {
  return `Claude Relay: ${TITLES[event.type]}`
}

/** The `label: value` lines describing an event (empty message and null until left out). */
export function eventFields(event: WebhookEvent): [string, string][] {
  const account = event.accountId ? `${event.accountName} (${event.accountId})` : event.accountName
  const fields: [string, string][] = [
    event.subject !== undefined ? ['Source', event.subject] : ['Account', account],
    ['Event', event.type],
  ]
  if (event.code) fields.push(['Code', event.code])
  if (event.message) fields.push(['Message', event.message])
  if (event.until !== null) fields.push(['Until', new Date(event.until).toISOString()])
  fields.push(['Time', new Date(event.at).toISOString()])
  return fields
}

/** The plain-text body of an event: title, then one `label: value` line per field. */
export function eventText(event: WebhookEvent): string {
  return [eventTitle(event), ...eventFields(event).map(([k, v]) => `${k}: ${v}`)].join('\n')
}

function markdownLines(event: WebhookEvent): string {
  return eventFields(event)
    .map(([k, v]) => `**${k}:** ${v}`)
    .join('\n')
}

function request(url: string, body: string, headers: Record<string, string> = {}): WebhookRequest {
  return {
    url,
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': WEBHOOK_USER_AGENT, ...headers },
      body,
    },
  }
}

function post(url: string, value: unknown): WebhookRequest {
  return request(url, JSON.stringify(value))
}

/** HMAC-SHA256 of `message` keyed with `key` (both UTF-8). */
export async function hmacSha256(key: string, message: string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey(
    'raw',
    encoder.encode(key),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, encoder.encode(message)))
}

/** Standard base64 with padding. */
export function toBase64(bytes: Uint8Array): string {
  let bin = ''
  for (const b of bytes) bin += String.fromCharCode(b)
  return btoa(bin)
}

/** The event as generic JSON (the body of a `custom` webhook); `subject` and `code` when set. */
export function customPayload(event: WebhookEvent) {
  return {
    type: event.type,
    notificationType: NOTIFICATION_TYPE_OF[event.type],
    title: eventTitle(event),
    text: eventText(event),
    accountId: event.accountId,
    accountName: event.accountName,
    platform: event.platform,
    ...(event.subject !== undefined ? { subject: event.subject } : {}),
    ...(event.code !== undefined ? { code: event.code } : {}),
    message: event.message,
    until: event.until === null ? null : new Date(event.until).toISOString(),
    at: new Date(event.at).toISOString(),
  }
}

/** Generic JSON POST of the event; signed when the platform has a secret. */
export async function formatCustom(
  target: WebhookTarget,
  event: WebhookEvent,
  options: FormatOptions,
): Promise<WebhookRequest> {
  const body = JSON.stringify(customPayload(event))
  if (!target.secret) return request(target.url, body)
  const ts = String(Math.floor(options.now / 1000))
  const sig = toHex(await hmacSha256(target.secret, `${ts}.${body}`))
  return request(target.url, body, {
    'x-webhook-timestamp': ts,
    'x-webhook-signature': `sha256=${sig}`,
  })
}

/** Slack incoming webhook: `{ text }` in Slack mrkdwn. */
export function formatSlack(target: WebhookTarget, event: WebhookEvent): WebhookRequest {
  const lines = eventFields(event).map(([k, v]) => `*${k}:* ${v}`)
  return post(target.url, { text: [`*${eventTitle(event)}*`, ...lines].join('\n') })
}

/** Discord webhook: one embed with the fields. */
export function formatDiscord(target: WebhookTarget, event: WebhookEvent): WebhookRequest {
  return post(target.url, {
    embeds: [
      {
        title: eventTitle(event),
        color: COLORS[event.type],
        fields: eventFields(event).map(([name, value]) => ({ name, value, inline: false })),
        timestamp: new Date(event.at).toISOString(),
      },
    ],
  })
}

/** Telegram Bot API `sendMessage` to the platform's chat (plain text, no parse mode). */
export function formatTelegram(target: WebhookTarget, event: WebhookEvent): WebhookRequest {
  const base = (target.apiBaseUrl || TELEGRAM_API).replace(/\/+$/, '')
  return post(`${base}/bot${target.botToken ?? ''}/sendMessage`, {
    chat_id: target.chatId ?? '',
    text: eventText(event),
    disable_web_page_preview: true,
  })
}

/** The Feishu signature: base64 HMAC-SHA256 keyed with `timestamp\nsecret` over nothing. */
export async function feishuSign(secret: string, timestampSec: number): Promise<string> {
  return toBase64(await hmacSha256(`${timestampSec}\n${secret}`, ''))
}

/** Feishu (Lark) custom bot: an interactive card; signed when the platform has a secret. */
export async function formatFeishu(
  target: WebhookTarget,
  event: WebhookEvent,
  options: FormatOptions,
): Promise<WebhookRequest> {
  const body: Record<string, unknown> = {}
  if (target.secret) {
    const ts = Math.floor(options.now / 1000)
    body.timestamp = String(ts)
    body.sign = await feishuSign(target.secret, ts)
  }
  body.msg_type = 'interactive'
  body.card = {
    config: { wide_screen_mode: true },
    header: {
      title: { tag: 'plain_text', content: eventTitle(event) },
      template: GOOD_NEWS.has(event.type) ? 'green' : event.type === 'test' ? 'grey' : 'red',
    },
    elements: [{ tag: 'div', text: { tag: 'lark_md', content: markdownLines(event) } }],
  }
  return post(target.url, body)
}

/** The DingTalk signature: base64 HMAC-SHA256 of `timestamp\nsecret` keyed with the secret. */
export async function dingtalkSign(secret: string, timestampMs: number): Promise<string> {
  return toBase64(await hmacSha256(secret, `${timestampMs}\n${secret}`))
}

/** DingTalk custom robot: a markdown message; `&timestamp=…&sign=…` added when signed. */
export async function formatDingtalk(
  target: WebhookTarget,
  event: WebhookEvent,
  options: FormatOptions,
): Promise<WebhookRequest> {
  let url = target.url
  if (target.secret) {
    const sign = encodeURIComponent(await dingtalkSign(target.secret, options.now))
    url += `${url.includes('?') ? '&' : '?'}timestamp=${options.now}&sign=${sign}`
  }
  const title = eventTitle(event)
  const lines = eventFields(event).map(([k, v]) => `- **${k}:** ${v}`)
  return post(url, {
    msgtype: 'markdown',
    markdown: { title, text: [`### ${title}`, '', ...lines].join('\n') },
  })
}

/** WeCom (WeChat Work) group robot: a markdown message. */
export function formatWecom(target: WebhookTarget, event: WebhookEvent): WebhookRequest {
  const lines = eventFields(event).map(([k, v]) => `> ${k}: ${v}`)
  return post(target.url, {
    msgtype: 'markdown',
    markdown: { content: [`**${eventTitle(event)}**`, ...lines].join('\n') },
  })
}

/**
 * Bark (iOS push): the URL is the Bark server with the device key as its path
 * (`https://api.day.app/<deviceKey>`); the event goes as Bark's JSON push, grouped under the
 * platform's `group` (default `claude-relay`), at its `level` (default time-sensitive for the
 * events that need someone soon), with its `sound` and `icon` when set.
 */
export function formatBark(target: WebhookTarget, event: WebhookEvent): WebhookRequest {
  const push: Record<string, string> = {
    title: eventTitle(event),
    body: eventText(event),
    group: target.group ?? 'claude-relay',
    level: target.level ?? (URGENT.has(event.type) ? 'timeSensitive' : 'active'),
  }
  if (target.sound) push.sound = target.sound
  if (target.icon) push.icon = target.icon
  return post(target.url, push)
}

type Formatter = (
  target: WebhookTarget,
  event: WebhookEvent,
  options: FormatOptions,
) => WebhookRequest | Promise<WebhookRequest>

/** The formatter of each platform type that is sent as an HTTP request. */
const FORMATTERS: Record<Exclude<WebhookPlatformType, 'smtp'>, Formatter> = {
  custom: formatCustom,
  slack: formatSlack,
  discord: formatDiscord,
  telegram: formatTelegram,
  feishu: formatFeishu,
  dingtalk: formatDingtalk,
  wecom: formatWecom,
  bark: formatBark,
}

/** Formats an event for any platform type. */
export async function formatFor(
  target: WebhookTarget,
  event: WebhookEvent,
  options: FormatOptions,
): Promise<WebhookRequest> {
  if (target.type === 'smtp')
    throw new Error('smtp targets are sent as mail, not as an HTTP request')
  return FORMATTERS[target.type](target, event, options)
}

/**
 * A URL safe to show: scheme and host, then `…` and the last 4 characters of the path and query
 * (only when those are long enough that 4 characters give nothing away), e.g.
 * `https://hooks.slack.com/…/WXYZ`. Credentials in the URL are always dropped.
 */
export function maskUrl(url: string): string {
  if (!url) return ''
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return '…'
  }
  const rest = `${parsed.pathname}${parsed.search}`.replace(/^\/+/, '')
  const base = `${parsed.protocol}//${parsed.host}`
  if (!rest) return base
  return rest.length >= 16 ? `${base}/…/${rest.slice(-4)}` : `${base}/…`
}
