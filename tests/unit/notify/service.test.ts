/**
 * Webhook service: sealed storage and masked views, input checks, delivery with retries (network,
 * 5xx, 429 retried; other 4xx and redirects not), timeouts, deduplication, the bounded queue, and
 * logs that never carry a URL or secret. Uses a scripted fetch and an in-memory settings store.
 */
import { beforeEach, describe, expect, test } from 'bun:test'
import type { AccountEvent } from '../../../src/accounts/service.ts'
import { createSecretBox } from '../../../src/core/crypto.ts'
import { InvalidRequestError, NotFoundError } from '../../../src/core/errors.ts'
import { createMemoryLogger } from '../../../src/core/log.ts'
import type { FetchFn } from '../../../src/core/ports.ts'
import {
  normalizeSettings,
  parseConfigUpdate,
  platformError,
  redactFor,
} from '../../../src/notify/config.ts'
import {
  createWebhookService,
  WEBHOOK_SETTING,
  type WebhookServiceOptions,
} from '../../../src/notify/service.ts'
import type { AuditEntry, SettingsRepository } from '../../../src/settings/repository.ts'

const SLACK_URL = 'https://hooks.slack.com/services/T0001/B0002/SuperSecretToken123'
const CUSTOM_URL = 'https://receiver.example.com/hooks/custom-token-abcdef'
const SECRET = 'sign-me-please-42'

function memorySettings(): SettingsRepository & { docs: Map<string, unknown> } {
  const docs = new Map<string, unknown>()
  const audit: AuditEntry[] = []
  return {
    docs,
    get: async (n) => (docs.has(n) ? structuredClone(docs.get(n)) : null),
    put: async (n, v) => {
      docs.set(n, structuredClone(v))
    },
    delete: async (n) => {
      docs.delete(n)
    },
    names: async () => [...docs.keys()].sort(),
    appendAudit: async (e) => {
      audit.push(...e)
    },
    listAudit: async () => audit,
    pruneAudit: async () => 0,
  }
}

type Reply = number | 'network' | 'hang' | ((url: string, init: RequestInit) => Response)

/** A fetch that plays `replies` in order (the last repeats) and records every call. */
function scriptedFetch(...replies: Reply[]) {
  const calls: { url: string; init: RequestInit & { body: string } }[] = []
  const fn: FetchFn = async (input, init) => {
    const url = String(input)
    calls.push({ url, init: init as RequestInit & { body: string } })
    const reply = replies.length > 1 ? replies.shift()! : replies[0]!
    if (reply === 'network') throw new TypeError(`fetch failed for ${url}`)
    if (reply === 'hang')
      return new Promise<Response>((_, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
      )
    if (typeof reply === 'function') return reply(url, init ?? {})
    return new Response(reply === 200 ? 'ok' : `error ${reply} at ${url}`, { status: reply })
  }
  return { fn, calls }
}

function fakeAccounts() {
  const listeners = new Set<(e: AccountEvent) => void>()
  return {
    onEvent(l: (e: AccountEvent) => void) {
      listeners.add(l)
      return () => listeners.delete(l)
    },
    emit(e: Partial<AccountEvent> = {}) {
      for (const l of listeners)
        l({
          type: 'rate_limited',
          accountId: 'acc-1',
          accountName: 'acme',
          platform: 'claude-console',
          message: 'scripted 429',
          until: now + 60_000,
          at: now,
          ...e,
        })
    },
    count: () => listeners.size,
  }
}

let now = Date.UTC(2025, 0, 1)
const clock = { now: () => now }
const box = createSecretBox('unit-test-encryption-key-0123456789')

function setup(fetch: FetchFn, extra: Partial<WebhookServiceOptions> = {}) {
  const settings = memorySettings()
  const logger = createMemoryLogger('debug')
  const accounts = fakeAccounts()
  const svc = createWebhookService({
    settings,
    box,
    clock,
    logger,
    fetch,
    accounts,
    cacheMs: 0,
    ...extra,
  })
  return { svc, settings, logger, accounts }
}

const fastRetry = { retry: { maxRetries: 3, retryDelayMs: 1, timeoutMs: 1000 } }

beforeEach(() => {
  now = Date.UTC(2025, 0, 1)
})

describe('configuration', () => {
  test('secrets are stored sealed and shown masked; edits keep omitted secrets', async () => {
    const { svc, settings } = setup(scriptedFetch(200).fn)
    const p = await svc.addPlatform({
      type: 'custom',
      name: 'mine',
      url: CUSTOM_URL,
      secret: SECRET,
    })
    expect(p).toMatchObject({
      type: 'custom',
      name: 'mine',
      enabled: true,
      url: 'https://receiver.example.com/…/cdef',
      hasSecret: true,
      hasBotToken: false,
    })
    const tg = await svc.addPlatform({ type: 'telegram', botToken: '123:SECRETBOT', chatId: 42 })
    expect(tg).toMatchObject({ url: 'https://api.telegram.org', hasBotToken: true, chatId: '42' })

    const stored = JSON.stringify(settings.docs.get(WEBHOOK_SETTING))
    for (const s of [CUSTOM_URL, SECRET, '123:SECRETBOT', 'custom-token'])
      expect(stored).not.toContain(s)
    const view = JSON.stringify(await svc.getConfig())
    for (const s of [CUSTOM_URL, SECRET, '123:SECRETBOT', 'custom-token'])
      expect(view).not.toContain(s)

    const { after } = await svc.updatePlatform(p.id, { name: 'renamed' })
    expect(after).toMatchObject({ name: 'renamed', hasSecret: true, url: p.url })
    const cleared = await svc.updatePlatform(p.id, { secret: '' })
    expect(cleared.after.hasSecret).toBe(false)
  })

  test('defaults: enabled, every event and notification type on except cooling_down, 3 retries from 1 s, 10 s timeout', async () => {
    const { svc } = setup(scriptedFetch(200).fn)
    expect(await svc.getConfig()).toEqual({
      enabled: true,
      events: {
        rate_limited: true,
        overloaded: true,
        cooling_down: false,
        recovered: true,
        unauthorized: true,
        blocked: true,
        refresh_failed: true,
        session_warning: true,
        session_reset: true,
        quota_exceeded: true,
        subscription_expiring: true,
        system_error: true,
        system_recovered: true,
        security_alert: true,
        test: true,
      },
      notificationTypes: {
        accountAnomaly: true,
        quotaWarning: true,
        systemError: true,
        securityAlert: true,
        rateLimitRecovery: true,
        test: true,
      },
      retry: { maxRetries: 3, retryDelayMs: 1000, timeoutMs: 10_000 },
      platforms: [],
    })
  })

  test('bad input is a 400 and an unknown id a 404', async () => {
    const { svc } = setup(scriptedFetch(200).fn)
    const bad: Record<string, unknown>[] = [
      { type: 'slack', url: 'ftp://example.com/x' },
      { type: 'slack', url: 'javascript:alert(1)' },
      { type: 'slack' },
      { type: 'pager', url: SLACK_URL },
      { type: 'slack', url: SLACK_URL, secret: 'x' },
      { type: 'slack', url: SLACK_URL, enabled: 'yes' },
      { type: 'telegram', chatId: '1' },
      { type: 'telegram', botToken: '1:x' },
      { type: 'telegram', botToken: '1/../x', chatId: '1' },
      { type: 'telegram', botToken: '1:x', chatId: '1', url: SLACK_URL },
      { type: 'discord', url: SLACK_URL, chatId: '1' },
    ]
    for (const input of bad)
      await expect(svc.addPlatform(input)).rejects.toBeInstanceOf(InvalidRequestError)
    await expect(svc.updatePlatform('nope', {})).rejects.toBeInstanceOf(NotFoundError)
    await expect(svc.togglePlatform('nope')).rejects.toBeInstanceOf(NotFoundError)
    await expect(svc.removePlatform('nope')).rejects.toBeInstanceOf(NotFoundError)
    await expect(svc.test({ platformId: 'nope' })).rejects.toBeInstanceOf(NotFoundError)
    const base = normalizeSettings(null)
    for (const input of [
      { enabled: 1 },
      { events: { nope: true } },
      { events: { rate_limited: 'yes' } },
      { retry: { maxRetries: -1 } },
      { retry: { timeoutMs: 0 } },
      { retry: { toString: 1 } },
    ])
      expect(() => parseConfigUpdate(input, base)).toThrow(InvalidRequestError)
    expect(parseConfigUpdate({ events: { cooling_down: true } }, base).events.cooling_down).toBe(
      true,
    )
  })

  test('a damaged document falls back to defaults and skips bad platforms', () => {
    const doc = normalizeSettings({
      enabled: false,
      events: { recovered: false, bogus: true },
      retry: { maxRetries: 'many' },
      platforms: [{ id: 'x' }],
    })
    expect(doc.enabled).toBe(false)
    expect(doc.events.recovered).toBe(false)
    expect(doc.retry.maxRetries).toBe(3)
    expect(doc.platforms).toEqual([])
  })

  test('toggle flips enabled; delete removes', async () => {
    const { svc } = setup(scriptedFetch(200).fn)
    const p = await svc.addPlatform({ type: 'slack', url: SLACK_URL })
    expect((await svc.togglePlatform(p.id)).after.enabled).toBe(false)
    expect((await svc.togglePlatform(p.id)).after.enabled).toBe(true)
    await svc.removePlatform(p.id)
    expect((await svc.getConfig()).platforms).toEqual([])
  })
})

describe('delivery', () => {
  test('an account event is posted to every enabled platform, retried on 5xx', async () => {
    const f = scriptedFetch(500, 503, 200)
    const { svc, accounts, logger } = setup(f.fn)
    await svc.updateConfig(fastRetry)
    await svc.addPlatform({ type: 'slack', url: SLACK_URL })
    await svc.addPlatform({
      type: 'discord',
      url: 'https://discord.com/api/webhooks/1/x',
      enabled: false,
    })
    accounts.emit()
    await svc.idle()
    expect(f.calls.length).toBe(3)
    expect(f.calls.every((c) => c.url === SLACK_URL)).toBe(true)
    expect(f.calls[0]!.init.redirect).toBe('manual')
    expect(JSON.parse(f.calls[0]!.init.body).text).toContain('acme (acc-1)')
    const log = logger.lines.join('\n')
    expect(log).toContain('webhook delivered')
    expect(log).not.toContain('SuperSecretToken123')
    expect(log).not.toContain('hooks.slack.com')
  })

  test('429 and network errors are retried; other 4xx and redirects are not', async () => {
    for (const [replies, attempts, delivered] of [
      [[429, 200], 2, true],
      [['network', 'network', 200], 3, true],
      [[404], 1, false],
      [[400], 1, false],
      [[302], 1, false],
      [[500], 4, false],
    ] as [Reply[], number, boolean][]) {
      const f = scriptedFetch(...replies)
      const { svc, logger } = setup(f.fn)
      await svc.updateConfig(fastRetry)
      await svc.addPlatform({ type: 'custom', url: CUSTOM_URL, secret: SECRET })
      const r = await svc.test({ platformId: (await svc.getConfig()).platforms[0]!.id })
      expect({ attempts: r.attempts, delivered: r.delivered }).toEqual({ attempts, delivered })
      expect(f.calls.length).toBe(attempts)
      const text = `${logger.lines.join('\n')}${r.error ?? ''}`
      expect(text).not.toContain(CUSTOM_URL)
      expect(text).not.toContain('receiver.example.com')
      expect(text).not.toContain(SECRET)
    }
  })

  test('a hanging receiver times out and is retried', async () => {
    const f = scriptedFetch('hang', 200)
    const { svc } = setup(f.fn)
    await svc.updateConfig({ retry: { maxRetries: 1, retryDelayMs: 1, timeoutMs: 30 } })
    const r = await svc.test({ type: 'custom', url: CUSTOM_URL })
    expect(r).toEqual({ delivered: true, attempts: 2, status: 200 })
  })

  test('an errcode inside a 200 answer counts as a failure (DingTalk, WeCom, Feishu)', async () => {
    expect(platformError('dingtalk', '{"errcode":310000,"errmsg":"sign not match"}')).toBe(
      'dingtalk error 310000: sign not match',
    )
    expect(platformError('wecom', '{"errcode":0,"errmsg":"ok"}')).toBeNull()
    expect(platformError('feishu', '{"code":19021,"msg":"sign match fail"}')).toBe(
      'feishu error 19021: sign match fail',
    )
    expect(platformError('slack', 'ok')).toBeNull()
    const f = scriptedFetch(() => Response.json({ errcode: 93000, errmsg: 'invalid webhook url' }))
    const { svc } = setup(f.fn)
    const r = await svc.test({
      type: 'wecom',
      url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k',
    })
    expect(r).toEqual({
      delivered: false,
      attempts: 1,
      status: 200,
      error: 'wecom error 93000: invalid webhook url',
    })
  })

  test('the same account and event is sent once per minute; other events are not held back', async () => {
    const f = scriptedFetch(200)
    const { svc, accounts } = setup(f.fn)
    await svc.updateConfig(fastRetry)
    await svc.addPlatform({ type: 'slack', url: SLACK_URL })
    for (let i = 0; i < 50; i++) accounts.emit()
    accounts.emit({ type: 'overloaded' })
    accounts.emit({ accountId: 'acc-2', accountName: 'other' })
    await svc.idle()
    expect(f.calls.length).toBe(3)
    now += 61_000
    accounts.emit()
    await svc.idle()
    expect(f.calls.length).toBe(4)
  })

  test('disabled webhooks, disabled event types and disabled platforms send nothing', async () => {
    const f = scriptedFetch(200)
    const { svc, accounts } = setup(f.fn)
    await svc.addPlatform({ type: 'slack', url: SLACK_URL })
    accounts.emit({ type: 'cooling_down' })
    await svc.idle()
    await svc.updateConfig({ enabled: false })
    accounts.emit({ type: 'blocked' })
    await svc.idle()
    expect(f.calls.length).toBe(0)
  })

  test('the queue is bounded: the oldest event is dropped and logged', async () => {
    const release: (() => void)[] = []
    const f = scriptedFetch(() => new Response('ok'))
    const gated: FetchFn = async (u, i) => {
      await new Promise<void>((r) => release.push(r))
      return f.fn(u, i)
    }
    const { svc, accounts, logger } = setup(gated, { concurrency: 1, queueLimit: 2 })
    await svc.addPlatform({ type: 'slack', url: SLACK_URL })
    for (let i = 0; i < 5; i++) accounts.emit({ accountId: `acc-${i}`, accountName: `n${i}` })
    const drops = logger.lines.filter((l) => l.includes('webhook queue full'))
    expect(drops.length).toBe(2)
    expect(drops[0]).toContain('acc-1')
    while (f.calls.length < 3) {
      await Bun.sleep(1)
      release.shift()?.()
    }
    await svc.idle()
    expect(f.calls.map((c) => JSON.parse(c.init.body).text.match(/Account:\* (n\d)/)[1])).toEqual([
      'n0',
      'n3',
      'n4',
    ])
  })

  test('stop unsubscribes and aborts deliveries in flight', async () => {
    const f = scriptedFetch('hang')
    const { svc, accounts } = setup(f.fn)
    await svc.addPlatform({ type: 'slack', url: SLACK_URL })
    accounts.emit()
    while (f.calls.length === 0) await Bun.sleep(1)
    await svc.stop()
    expect(accounts.count()).toBe(0)
    expect(f.calls.length).toBe(1)
  })

  test('redaction removes the URL, secrets and any other URL', () => {
    const t = { type: 'custom' as const, url: CUSTOM_URL, secret: SECRET }
    expect(redactFor(`boom ${CUSTOM_URL} ${SECRET} http://other/x`, t)).toBe(
      'boom [redacted] [redacted] [url]',
    )
  })
})
