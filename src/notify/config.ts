/**
 * @module
 * The webhook settings document's rules: an admin's platform and configuration edits parsed and
 * checked (types and aliases, http(s) URLs, which types take a secret), a stored document read
 * tolerantly, the masked views the admin API shows, and error text of a platform's answer with
 * its secrets removed.
 */
import { Value } from '@sinclair/typebox/value'
import type { SecretBox } from '../core/crypto.ts'
import { InvalidRequestError } from '../core/errors.ts'
import { maskUrl, TELEGRAM_API } from './formats.ts'
import {
  BARK_LEVELS,
  NOTIFICATION_TYPES,
  StoredWebhookPlatform,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_PLATFORM_TYPES,
  type WebhookConfigView,
  type WebhookPlatformType,
  type WebhookPlatformView,
  WebhookRetry,
  type WebhookSecrets,
  WebhookSettings,
  type WebhookTarget,
} from './model.ts'
import { checkSmtpUrl, smtpUrlOf } from './smtp.ts'

/** A parsed platform: the plaintext target plus its display fields. */
export interface ParsedPlatform {
  target: WebhookTarget
  name: string
  enabled: boolean
}

/** A JSON body as received. */
export type Body = Record<string, unknown>

const SIGNED: ReadonlySet<WebhookPlatformType> = new Set(['custom', 'feishu', 'dingtalk'])
const TYPE_ALIASES: Record<string, WebhookPlatformType> = { wechat_work: 'wecom', lark: 'feishu' }

function isRecord(v: unknown): v is Body {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** The request body as an object, or a 400. */
export function bodyOf(input: unknown): Body {
  if (input === undefined || input === null) return {}
  if (!isRecord(input))
    throw new InvalidRequestError('Invalid request body: expected a JSON object')
  return input
}

/** Throws a 400 unless `value` is an absolute http(s) URL. */
export function checkHttpUrl(field: string, value: unknown): string {
  if (typeof value !== 'string' || !value.trim())
    throw new InvalidRequestError(`${field}: expected an http(s) URL`)
  const text = value.trim()
  if (text.length > 2048)
    throw new InvalidRequestError(`${field}: URL is longer than 2048 characters`)
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new InvalidRequestError(`${field}: expected an http(s) URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidRequestError(`${field}: only http and https URLs are allowed`)
  return text
}

function smtpPassword(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password)
  } catch {
    return ''
  }
}

/** Bark given as the seed's fields (`deviceKey`, optional `serverUrl`): the push URL. */
function barkUrl(type: WebhookPlatformType, input: Body): string | undefined {
  if (type !== 'bark' || typeof input.deviceKey !== 'string' || !input.deviceKey.trim()) return
  const key = input.deviceKey.trim()
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(key))
    throw new InvalidRequestError('deviceKey: expected a Bark device key')
  const server = typeof input.serverUrl === 'string' && input.serverUrl.trim()
  return `${(server || 'https://api.day.app').replace(/\/+$/, '')}/${key}`
}

/** The seed's optional Bark fields. */
const BARK_OPTIONS = ['sound', 'group', 'level', 'icon'] as const
type BarkOptions = Pick<WebhookTarget, (typeof BARK_OPTIONS)[number]>

/** The Bark fields `from` has (stored platform, target or view), without the undefined ones. */
export function barkOf(from: BarkOptions): BarkOptions {
  const out: BarkOptions = {}
  if (from.sound !== undefined) out.sound = from.sound
  if (from.group !== undefined) out.group = from.group
  if (from.level !== undefined) out.level = from.level
  if (from.icon !== undefined) out.icon = from.icon
  return out
}

/** Bark's optional fields: each checked, left out → kept from `current`, null or '' → cleared. */
function barkOptions(input: Body, current: WebhookTarget | undefined): BarkOptions {
  const sound = optionalText('sound', input.sound, 64)
  if (sound && !/^[A-Za-z0-9_.-]+$/.test(sound))
    throw new InvalidRequestError('sound: expected a Bark sound name such as minuet')
  const group = optionalText('group', input.group, 64)
  const level = optionalText('level', input.level, 32)
  const knownLevel = BARK_LEVELS.find((l) => l === level)
  if (level && !knownLevel)
    throw new InvalidRequestError(`level: expected one of ${BARK_LEVELS.join(', ')}`)
  const icon = optionalText('icon', input.icon, 2048)
  return barkOf({
    sound: sound === null ? undefined : (sound ?? current?.sound),
    group: group === null ? undefined : (group ?? current?.group),
    level: level === null ? undefined : (knownLevel ?? current?.level),
    icon: icon === null ? undefined : icon ? checkHttpUrl('icon', icon) : current?.icon,
  })
}

function optionalText(field: string, value: unknown, max: number): string | undefined | null {
  if (value === undefined) return undefined
  if (value === null || value === '') return null
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (typeof value !== 'string') throw new InvalidRequestError(`${field}: expected a string`)
  const text = value.trim()
  if (text.length > max) throw new InvalidRequestError(`${field}: longer than ${max} characters`)
  return text || null
}

/**
 * Checks platform input (add, edit, or an unsaved test target). On edit, fields left out keep
 * their current values, `null`/`''` clears `secret`; changing the type starts from scratch.
 */
export function parsePlatformInput(input: Body, current: ParsedPlatform | null): ParsedPlatform {
  const rawType = input.type ?? current?.target.type
  const type =
    typeof rawType === 'string'
      ? (TYPE_ALIASES[rawType] ?? WEBHOOK_PLATFORM_TYPES.find((t) => t === rawType))
      : undefined
  if (!type)
    throw new InvalidRequestError(`type: expected one of ${WEBHOOK_PLATFORM_TYPES.join(', ')}`)
  const base = current && current.target.type === type ? current : null

  const name = optionalText('name', input.name, 100) ?? base?.name ?? current?.name ?? type
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean')
    throw new InvalidRequestError('enabled: expected true or false')
  const enabled = (input.enabled as boolean | undefined) ?? current?.enabled ?? true

  const target: WebhookTarget = { type, url: '' }
  const secret = optionalText('secret', input.secret, 512)
  const botToken = optionalText('botToken', input.botToken, 256)
  const chatId = optionalText('chatId', input.chatId, 100)
  const apiBaseUrl = optionalText('apiBaseUrl', input.apiBaseUrl, 2048)

  if (type === 'telegram') {
    if (input.url !== undefined && input.url !== null && input.url !== '')
      throw new InvalidRequestError(
        'url: not used by telegram (set botToken and chatId; apiBaseUrl changes the Bot API server)',
      )
    const token = botToken === null ? undefined : (botToken ?? base?.target.botToken)
    if (!token) throw new InvalidRequestError('botToken: required for telegram')
    if (!/^[A-Za-z0-9:_-]+$/.test(token))
      throw new InvalidRequestError('botToken: expected a Telegram bot token like 123456:ABC-DEF')
    const chat = chatId === null ? undefined : (chatId ?? base?.target.chatId)
    if (!chat) throw new InvalidRequestError('chatId: required for telegram')
    target.botToken = token
    target.chatId = chat
    const api = apiBaseUrl === null ? undefined : (apiBaseUrl ?? base?.target.apiBaseUrl)
    if (api) target.apiBaseUrl = checkHttpUrl('apiBaseUrl', api)
  } else {
    for (const [field, v] of [
      ['botToken', botToken],
      ['chatId', chatId],
      ['apiBaseUrl', apiBaseUrl],
    ] as const)
      if (v) throw new InvalidRequestError(`${field}: only used by telegram`)
    target.url =
      type === 'smtp'
        ? (smtpUrlOf(input) ??
          (base?.target.url
            ? checkSmtpUrl(base.target.url)
            : checkSmtpUrl(String(input.url ?? ''))))
        : checkHttpUrl('url', barkUrl(type, input) ?? input.url ?? base?.target.url)
  }

  if (type === 'bark') Object.assign(target, barkOptions(input, base?.target))
  else
    for (const field of BARK_OPTIONS)
      if (input[field] !== undefined && input[field] !== null && input[field] !== '')
        throw new InvalidRequestError(`${field}: only used by bark`)

  if (secret && !SIGNED.has(type))
    throw new InvalidRequestError(`secret: ${type} webhooks are not signed`)
  const keptSecret = secret === null ? undefined : (secret ?? base?.target.secret)
  if (keptSecret && SIGNED.has(type)) target.secret = keptSecret
  return { target, name, enabled }
}

/** `current` with the `name → true/false` switches of `input` applied, each name checked. */
function parseSwitches<K extends string>(
  field: string,
  what: string,
  names: readonly K[],
  input: unknown,
  current: Record<K, boolean>,
): Record<K, boolean> {
  if (!isRecord(input))
    throw new InvalidRequestError(`${field}: expected an object of ${what} → true/false`)
  const next = { ...current }
  for (const [k, v] of Object.entries(input)) {
    const name = names.find((n) => n === k)
    if (!name)
      throw new InvalidRequestError(`${field}.${k}: unknown ${what} (expected ${names.join(', ')})`)
    if (typeof v !== 'boolean')
      throw new InvalidRequestError(`${field}.${k}: expected true or false`)
    next[name] = v
  }
  return next
}

/** Applies a settings update (`enabled`, `events`, `notificationTypes`, `retry`), checking every field. */
export function parseConfigUpdate(input: Body, current: WebhookSettings): WebhookSettings {
  const next: WebhookSettings = {
    ...current,
    events: { ...current.events },
    notificationTypes: { ...current.notificationTypes },
    retry: { ...current.retry },
  }
  if (input.enabled !== undefined) {
    if (typeof input.enabled !== 'boolean')
      throw new InvalidRequestError('enabled: expected true or false')
    next.enabled = input.enabled
  }
  if (input.events !== undefined)
    next.events = parseSwitches(
      'events',
      'event type',
      WEBHOOK_EVENT_TYPES,
      input.events,
      next.events,
    )
  if (input.notificationTypes !== undefined)
    next.notificationTypes = parseSwitches(
      'notificationTypes',
      'notification type',
      NOTIFICATION_TYPES,
      input.notificationTypes,
      next.notificationTypes,
    )
  if (input.retry !== undefined) {
    if (!isRecord(input.retry)) throw new InvalidRequestError('retry: expected an object')
    for (const [k, v] of Object.entries(input.retry)) {
      const schema = Object.hasOwn(WebhookRetry.properties, k)
        ? WebhookRetry.properties[k as keyof WebhookRetry]
        : undefined
      if (!schema) throw new InvalidRequestError(`retry.${k}: unknown field`)
      const minimum = schema.minimum ?? 0
      const maximum = schema.maximum ?? Number.MAX_SAFE_INTEGER
      if (typeof v !== 'number' || !Number.isInteger(v) || v < minimum || v > maximum)
        throw new InvalidRequestError(
          `retry.${k}: expected an integer from ${minimum} to ${maximum}`,
        )
      next.retry[k as keyof WebhookRetry] = v
    }
  }
  return next
}

/** The stored document read leniently: defaults for missing fields, bad platforms skipped. */
export function normalizeSettings(raw: unknown): WebhookSettings {
  const doc = Value.Create(WebhookSettings)
  if (!isRecord(raw)) return doc
  if (typeof raw.enabled === 'boolean') doc.enabled = raw.enabled
  if (isRecord(raw.events))
    for (const t of WEBHOOK_EVENT_TYPES) {
      const v = raw.events[t]
      if (typeof v === 'boolean') doc.events[t] = v
    }
  if (isRecord(raw.notificationTypes))
    for (const t of NOTIFICATION_TYPES) {
      const v = raw.notificationTypes[t]
      if (typeof v === 'boolean') doc.notificationTypes[t] = v
    }
  if (isRecord(raw.retry)) {
    const retry = { ...doc.retry, ...raw.retry }
    if (Value.Check(WebhookRetry, retry)) doc.retry = retry
  }
  if (Array.isArray(raw.platforms))
    doc.platforms = raw.platforms.filter((p): p is StoredWebhookPlatform =>
      Value.Check(StoredWebhookPlatform, p),
    )
  return doc
}

/** A stored platform as the admin API shows it. */
export function platformView(p: StoredWebhookPlatform): WebhookPlatformView {
  const view: WebhookPlatformView = {
    id: p.id,
    type: p.type,
    name: p.name,
    enabled: p.enabled,
    url: p.maskedUrl,
    hasSecret: p.hasSecret,
    hasBotToken: p.hasBotToken,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  }
  if (p.chatId !== undefined) view.chatId = p.chatId
  if (p.apiBaseUrl !== undefined) view.apiBaseUrl = p.apiBaseUrl
  return { ...view, ...barkOf(p) }
}

/** The whole configuration as the admin API shows it. */
export function configView(doc: WebhookSettings): WebhookConfigView {
  return {
    enabled: doc.enabled,
    events: { ...doc.events },
    notificationTypes: { ...doc.notificationTypes },
    retry: { ...doc.retry },
    platforms: doc.platforms.map(platformView),
  }
}

/** `text` with the target's URL, secrets and any other URL replaced (safe for logs and replies). */
export function redactFor(text: string, target: WebhookTarget): string {
  let out = text
  const mailPassword = target.type === 'smtp' ? smtpPassword(target.url) : ''
  for (const s of [target.url, target.secret, target.botToken, mailPassword])
    if (s && s.length >= 4) out = out.split(s).join('[redacted]')
  return out.replace(/\bhttps?:\/\/\S+/gi, '[url]').slice(0, 300)
}

/** An error the platform reported inside a 2xx answer (Feishu, DingTalk, WeCom), or null. */
export function platformError(type: WebhookPlatformType, text: string): string | null {
  if (type !== 'feishu' && type !== 'dingtalk' && type !== 'wecom') return null
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return null
  }
  if (!isRecord(json)) return null
  const code = type === 'feishu' ? (json.code ?? json.StatusCode) : json.errcode
  if (code === undefined || code === 0) return null
  const msg = type === 'feishu' ? (json.msg ?? json.StatusMessage) : json.errmsg
  return `${type} error ${String(code)}: ${String(msg ?? '')}`
}

/** A parsed platform as stored: its secrets sealed with `box`, its URL masked for display. */
export async function sealPlatform(
  box: Pick<SecretBox, 'encrypt'>,
  id: string,
  parsed: ParsedPlatform,
  createdAt: string,
  now: number,
): Promise<StoredWebhookPlatform> {
  const { target } = parsed
  const secrets: WebhookSecrets = { url: target.url }
  if (target.secret) secrets.secret = target.secret
  if (target.botToken) secrets.botToken = target.botToken
  const stored: StoredWebhookPlatform = {
    id,
    type: target.type,
    name: parsed.name,
    enabled: parsed.enabled,
    sealed: await box.encrypt(JSON.stringify(secrets)),
    maskedUrl: maskUrl(
      target.type === 'telegram' ? (target.apiBaseUrl ?? TELEGRAM_API) : target.url,
    ),
    hasSecret: !!target.secret,
    hasBotToken: !!target.botToken,
    createdAt,
    updatedAt: new Date(now).toISOString(),
  }
  if (target.chatId !== undefined) stored.chatId = target.chatId
  if (target.apiBaseUrl !== undefined) stored.apiBaseUrl = target.apiBaseUrl
  return { ...stored, ...barkOf(target) }
}
