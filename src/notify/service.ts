// Over 400 lines: one closure owns the settings cache, the event queue, its workers and their retries.
/**
 * @module
 * Webhook notifications for account events and for system and security events (reported through
 * `notify`: faults the relay detects, sign-in lockouts). The configuration is one `webhooks` settings document
 * (platform secrets sealed with the SecretBox, shown masked); every instance re-reads it at most
 * every few seconds. Account events are deduplicated per (account, event type) for a minute, put
 * on a bounded queue (oldest dropped) and delivered off the relay's path by a few workers: each
 * enabled platform gets a POST with a timeout, retried with doubling delays on network errors,
 * 5xx and 429, never on other 4xx, and never following redirects. Logs name platforms by id and
 * name only, never by URL or secret.
 */

import { Value } from '@sinclair/typebox/value'
import type { AccountService } from '../accounts/service.ts'
import type { SecretBox } from '../core/crypto.ts'
import { InvalidRequestError, NotFoundError } from '../core/errors.ts'
import { readLimited } from '../core/http-body.ts'
import { newId } from '../core/ids.ts'
import type { Clock, FetchFn, Logger } from '../core/ports.ts'
import type { UrlPolicy } from '../security/url-policy.ts'
import type { SettingsRepository } from '../settings/repository.ts'
import {
  type Body,
  barkOf,
  configView,
  normalizeSettings,
  type ParsedPlatform,
  parseConfigUpdate,
  parsePlatformInput,
  platformError,
  platformView,
  redactFor,
  sealPlatform,
} from './config.ts'
import { eventText, eventTitle, formatFor } from './formats.ts'
import {
  type DeliveryResult,
  NOTIFICATION_TYPE_OF,
  type StoredWebhookPlatform,
  type SystemNotice,
  type WebhookConfigView,
  type WebhookEvent,
  type WebhookEventType,
  type WebhookPlatformView,
  type WebhookRetry,
  WebhookSecrets,
  WebhookSettings,
  type WebhookTarget,
} from './model.ts'
import { type MailSender, policyUrlOf, splitSmtpUrl } from './smtp.ts'

/** Settings document name. */
export const WEBHOOK_SETTING = 'webhooks'

/** Options of {@link createWebhookService}. */
export interface WebhookServiceOptions {
  settings: SettingsRepository
  box: SecretBox
  clock: Clock
  logger: Logger
  /** Outgoing fetch (tests inject their own). */
  fetch?: FetchFn
  /** Source of account events. */
  accounts: Pick<AccountService, 'onEvent'>
  /** Outbound URL policy for webhook URLs (checked when saved and before every delivery). */
  urlPolicy?: Pick<UrlPolicy, 'assertUrl' | 'checkUrl'>
  /** Sends mail for `smtp` platforms (nodemailer in the runtime); absent: smtp cannot deliver. */
  sendMail?: MailSender
  /** Events delivered at the same time. @default 4 */
  concurrency?: number
  /** Events waiting at most; the oldest is dropped beyond. @default 1000 */
  queueLimit?: number
  /** The same (account, event type) is sent at most once per this window. @default 60000 */
  dedupeMs?: number
  /** How long a read configuration is reused. @default 5000 */
  cacheMs?: number
}

/** Whether `type` is sent: its own switch and its notification type's switch are both on. */
function sends(doc: WebhookSettings, type: WebhookEventType): boolean {
  return doc.events[type] && doc.notificationTypes[NOTIFICATION_TYPE_OF[type]]
}

function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`
  return String(err)
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done)
  })
}

/** Creates the webhook service and subscribes it to account events. */
export function createWebhookService(options: WebhookServiceOptions) {
  const { settings, box, clock, logger } = options
  const fetchFn: FetchFn = options.fetch ?? ((input, init) => fetch(input, init))
  const concurrency = Math.max(1, options.concurrency ?? 4)
  const queueLimit = Math.max(1, options.queueLimit ?? 1000)
  const dedupeMs = options.dedupeMs ?? 60_000
  const cacheMs = options.cacheMs ?? 5000
  const stopping = new AbortController()
  const queue: WebhookEvent[] = []
  const lastSent = new Map<string, number>()
  let active = 0
  let idleWaiters: (() => void)[] = []
  let cache: { doc: WebhookSettings; at: number } | null = null
  let writes: Promise<unknown> = Promise.resolve()

  async function load(): Promise<WebhookSettings> {
    const doc = normalizeSettings(await settings.get(WEBHOOK_SETTING))
    cache = { doc, at: clock.now() }
    return doc
  }

  async function current(): Promise<WebhookSettings> {
    if (cache && clock.now() - cache.at < cacheMs) return cache.doc
    try {
      return await load()
    } catch (err) {
      logger.warn('cannot read webhook settings; using the last known', { error: errorText(err) })
      return cache?.doc ?? Value.Create(WebhookSettings)
    }
  }

  /** Read-modify-write of the document, one at a time on this instance. */
  function mutate<T>(change: (doc: WebhookSettings) => Promise<T>): Promise<T> {
    const run = writes.then(async () => {
      const doc = await load()
      const result = await change(doc)
      await settings.put(WEBHOOK_SETTING, doc)
      cache = { doc, at: clock.now() }
      return result
    })
    writes = run.catch(() => {})
    return run
  }

  async function unseal(p: StoredWebhookPlatform): Promise<ParsedPlatform> {
    const secrets = JSON.parse(await box.decrypt(p.sealed)) as unknown
    if (!Value.Check(WebhookSecrets, secrets))
      throw new Error(`Cannot read webhook platform "${p.id}": sealed data has the wrong shape`)
    const target: WebhookTarget = { type: p.type, url: secrets.url }
    if (secrets.secret) target.secret = secrets.secret
    if (secrets.botToken) target.botToken = secrets.botToken
    if (p.chatId !== undefined) target.chatId = p.chatId
    if (p.apiBaseUrl !== undefined) target.apiBaseUrl = p.apiBaseUrl
    return { target: { ...target, ...barkOf(p) }, name: p.name, enabled: p.enabled }
  }

  const seal = (id: string, parsed: ParsedPlatform, createdAt: string) =>
    sealPlatform(box, id, parsed, createdAt, clock.now())

  /** The URL policy at entry: a 400 when the platform's URL is refused. */
  async function checkTarget(parsed: ParsedPlatform): Promise<ParsedPlatform> {
    const { target } = parsed
    const policy = options.urlPolicy
    if (!policy) return parsed
    if (target.type === 'telegram') {
      if (target.apiBaseUrl) await policy.assertUrl('apiBaseUrl', target.apiBaseUrl)
    } else if (target.type === 'smtp') await policy.assertUrl('host', policyUrlOf(target.url))
    else await policy.assertUrl('url', target.url)
    return parsed
  }

  function find(doc: WebhookSettings, id: string): StoredWebhookPlatform {
    const p = doc.platforms.find((x) => x.id === id)
    if (!p) throw new NotFoundError(`Cannot find webhook platform "${id}"`)
    return p
  }

  /** Delivers an event to an `smtp` platform as a mail. */
  async function sendMail(
    target: WebhookTarget,
    event: WebhookEvent,
    timeoutMs: number,
  ): Promise<{ ok: boolean; retryable: boolean; status: number | null; error?: string }> {
    if (!options.sendMail)
      return { ok: false, retryable: false, status: null, error: 'mail sending is not available' }
    const verdict = await options.urlPolicy?.checkUrl(policyUrlOf(target.url))
    if (verdict && !verdict.ok)
      return { ok: false, retryable: false, status: null, error: redactFor(verdict.reason, target) }
    const { connection, from, to } = splitSmtpUrl(target.url)
    await options.sendMail(
      connection,
      { from, to, subject: eventTitle(event), text: eventText(event) },
      { timeoutMs },
    )
    return { ok: true, retryable: false, status: 250 }
  }

  async function attempt(
    target: WebhookTarget,
    event: WebhookEvent,
    timeoutMs: number,
  ): Promise<{ ok: boolean; retryable: boolean; status: number | null; error?: string }> {
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = AbortSignal.any([timeout, stopping.signal])
    try {
      if (target.type === 'smtp') return await sendMail(target, event, timeoutMs)
      const req = await formatFor(target, event, { now: clock.now() })
      const verdict = await options.urlPolicy?.checkUrl(req.url)
      if (verdict && !verdict.ok)
        return {
          ok: false,
          retryable: false,
          status: null,
          error: redactFor(verdict.reason, target),
        }
      const res = await fetchFn(req.url, { ...req.init, redirect: 'manual', signal })
      const text = new TextDecoder().decode(await readLimited(res, 4096))
      const status = res.status
      if (status >= 200 && status < 300) {
        const appError = platformError(target.type, text)
        if (appError)
          return { ok: false, retryable: false, status, error: redactFor(appError, target) }
        return { ok: true, retryable: false, status }
      }
      if (status >= 300 && status < 400)
        return {
          ok: false,
          retryable: false,
          status,
          error: `HTTP ${status}: redirect not followed`,
        }
      const snippet = text.trim() ? `: ${redactFor(text.trim().slice(0, 200), target)}` : ''
      return {
        ok: false,
        retryable: status === 429 || status >= 500,
        status,
        error: `HTTP ${status}${snippet}`,
      }
    } catch (err) {
      if (stopping.signal.aborted)
        return { ok: false, retryable: false, status: null, error: 'webhook service stopped' }
      if (timeout.aborted)
        return {
          ok: false,
          retryable: true,
          status: null,
          error: `timed out after ${timeoutMs} ms`,
        }
      return { ok: false, retryable: true, status: null, error: redactFor(errorText(err), target) }
    }
  }

  /** Sends one event to one target, retrying as configured. */
  async function deliver(
    target: WebhookTarget,
    event: WebhookEvent,
    retry: WebhookRetry,
  ): Promise<DeliveryResult> {
    let attempts = 0
    for (;;) {
      attempts++
      const r = await attempt(target, event, retry.timeoutMs)
      if (r.ok) return { delivered: true, attempts, status: r.status }
      if (!r.retryable || attempts > retry.maxRetries || stopping.signal.aborted)
        return { delivered: false, attempts, status: r.status, error: r.error }
      await sleep(retry.retryDelayMs * 2 ** (attempts - 1), stopping.signal)
    }
  }

  async function handle(event: WebhookEvent): Promise<void> {
    const doc = await current()
    if (!doc.enabled || !sends(doc, event.type)) return
    await Promise.all(
      doc.platforms
        .filter((p) => p.enabled)
        .map(async (p) => {
          const fields = { platformId: p.id, platformType: p.type, platformName: p.name }
          let parsed: ParsedPlatform
          try {
            parsed = await unseal(p)
          } catch (err) {
            logger.error('cannot decrypt webhook platform (was ENCRYPTION_KEY changed?)', {
              ...fields,
              error: errorText(err),
            })
            return
          }
          const r = await deliver(parsed.target, event, doc.retry)
          const log = {
            ...fields,
            event: event.type,
            accountId: event.accountId,
            code: event.code,
            ...r,
          }
          if (r.delivered) logger.info('webhook delivered', log)
          else logger.warn('webhook delivery failed', log)
        }),
    )
  }

  function settle(): void {
    if (active > 0 || queue.length > 0) return
    const waiters = idleWaiters
    idleWaiters = []
    for (const w of waiters) w()
  }

  function pump(): void {
    while (active < concurrency && queue.length > 0 && !stopping.signal.aborted) {
      const event = queue.shift()!
      active++
      void handle(event)
        .catch((err) => logger.warn('webhook processing failed', { error: errorText(err) }))
        .finally(() => {
          active--
          pump()
          settle()
        })
    }
    settle()
  }

  /** Queues an event for delivery (deduplicated; never blocks, never throws). */
  function enqueue(event: WebhookEvent): void {
    if (stopping.signal.aborted) return
    const now = clock.now()
    const key = `${event.accountId}\u0000${event.type}\u0000${event.code ?? ''}\u0000${event.subject ?? ''}`
    const last = lastSent.get(key)
    if (last !== undefined && now - last < dedupeMs) {
      logger.debug('webhook event deduplicated', {
        event: event.type,
        accountId: event.accountId,
        code: event.code,
      })
      return
    }
    if (lastSent.size >= 10_000)
      for (const [k, at] of lastSent) if (now - at >= dedupeMs) lastSent.delete(k)
    lastSent.set(key, now)
    queue.push(event)
    if (queue.length > queueLimit) {
      const dropped = queue.shift()!
      logger.warn('webhook queue full; dropped the oldest event', {
        event: dropped.type,
        accountId: dropped.accountId,
        queueLimit,
      })
    }
    pump()
  }

  const unsubscribe = options.accounts.onEvent((e) => enqueue(e))

  /** Queues a system or security event (deduplicated per code and subject like account events). */
  function notify(notice: SystemNotice): void {
    enqueue({
      type: notice.type,
      accountId: '',
      accountName: '',
      platform: '',
      subject: notice.subject,
      code: notice.code,
      message: notice.message,
      until: null,
      at: clock.now(),
    })
  }

  return {
    enqueue,
    notify,
    /** Resolves once the queue is empty and no delivery is running. */
    idle(): Promise<void> {
      if (active === 0 && queue.length === 0) return Promise.resolve()
      return new Promise((resolve) => idleWaiters.push(resolve))
    },
    /** The configuration as the admin API shows it (secrets masked). */
    async getConfig(): Promise<WebhookConfigView> {
      return configView(await load())
    },
    /** Changes `enabled`, `events`, `notificationTypes` and/or `retry`. */
    updateConfig(input: Body): Promise<{ before: WebhookConfigView; after: WebhookConfigView }> {
      return mutate(async (doc) => {
        const before = configView(doc)
        const next = parseConfigUpdate(input, doc)
        doc.enabled = next.enabled
        doc.events = next.events
        doc.notificationTypes = next.notificationTypes
        doc.retry = next.retry
        return { before, after: configView(doc) }
      })
    },
    /** Adds a platform; its secrets are sealed before they are stored. */
    addPlatform(input: Body): Promise<WebhookPlatformView> {
      return mutate(async (doc) => {
        const parsed = await checkTarget(parsePlatformInput(input, null))
        const p = await seal(newId(), parsed, new Date(clock.now()).toISOString())
        doc.platforms.push(p)
        return platformView(p)
      })
    },
    /** Edits a platform; secrets left out are kept. */
    updatePlatform(
      id: string,
      input: Body,
    ): Promise<{ before: WebhookPlatformView; after: WebhookPlatformView }> {
      return mutate(async (doc) => {
        const old = find(doc, id)
        const parsed = await checkTarget(parsePlatformInput(input, await unseal(old)))
        const p = await seal(id, parsed, old.createdAt)
        doc.platforms = doc.platforms.map((x) => (x.id === id ? p : x))
        return { before: platformView(old), after: platformView(p) }
      })
    },
    /** Deletes a platform; returns what it was. */
    removePlatform(id: string): Promise<WebhookPlatformView> {
      return mutate(async (doc) => {
        const old = find(doc, id)
        doc.platforms = doc.platforms.filter((x) => x.id !== id)
        return platformView(old)
      })
    },
    /** Flips a platform's `enabled`. */
    togglePlatform(
      id: string,
    ): Promise<{ before: WebhookPlatformView; after: WebhookPlatformView }> {
      return mutate(async (doc) => {
        const old = find(doc, id)
        const p = { ...old, enabled: !old.enabled, updatedAt: new Date(clock.now()).toISOString() }
        doc.platforms = doc.platforms.map((x) => (x.id === id ? p : x))
        return { before: platformView(old), after: platformView(p) }
      })
    },
    /**
     * Sends a `test` event now to a saved platform (`{ platformId }`, even when disabled) or to
     * an unsaved one (`{ type, url, … }`), with the configured retries; resolves with the result.
     */
    async test(input: Body): Promise<DeliveryResult> {
      const doc = await load()
      let target: WebhookTarget
      if (input.platformId !== undefined) {
        if (typeof input.platformId !== 'string' || !input.platformId)
          throw new InvalidRequestError('platformId: expected a platform id')
        target = (await unseal(find(doc, input.platformId))).target
      } else {
        target = (await checkTarget(parsePlatformInput(input, null))).target
      }
      const event: WebhookEvent = {
        type: 'test',
        accountId: '',
        accountName: '(test)',
        platform: '',
        message: 'This is a test notification from Claude Relay Service.',
        until: null,
        at: clock.now(),
      }
      return deliver(target, event, doc.retry)
    },
    /** Stops listening, drops queued events and aborts deliveries in flight. */
    async stop(): Promise<void> {
      unsubscribe()
      if (queue.length > 0)
        logger.warn('webhook events dropped at shutdown', { count: queue.length })
      queue.length = 0
      stopping.abort()
      if (active > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve))
    },
  }
}

/** The webhook service's interface. */
export type WebhookService = ReturnType<typeof createWebhookService>
