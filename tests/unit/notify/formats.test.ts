/**
 * Webhook formatters: the exact request per platform, signatures checked against HMAC values
 * computed independently with node:crypto, and URL masking.
 */
import { describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import {
  dingtalkSign,
  eventText,
  feishuSign,
  formatCustom,
  formatDingtalk,
  formatDiscord,
  formatFeishu,
  formatFor,
  formatSlack,
  formatTelegram,
  formatWecom,
  maskUrl,
  WEBHOOK_USER_AGENT,
} from '../../../src/notify/formats.ts'
import type { WebhookEvent, WebhookTarget } from '../../../src/notify/model.ts'

const NOW = Date.UTC(2025, 0, 2, 3, 4, 5, 678)
const event: WebhookEvent = {
  type: 'rate_limited',
  accountId: 'acc-1',
  accountName: 'acme',
  platform: 'claude-console',
  message: 'scripted 429',
  until: Date.UTC(2025, 0, 2, 3, 5, 5),
  at: NOW,
}
const FIELDS = [
  ['Account', 'acme (acc-1)'],
  ['Event', 'rate_limited'],
  ['Message', 'scripted 429'],
  ['Until', '2025-01-02T03:05:05.000Z'],
  ['Time', '2025-01-02T03:04:05.678Z'],
] as const
const TEXT = ['Claude Relay: Account rate limited', ...FIELDS.map(([k, v]) => `${k}: ${v}`)].join(
  '\n',
)
const HEADERS = { 'content-type': 'application/json', 'user-agent': WEBHOOK_USER_AGENT }

const target = (t: Partial<WebhookTarget> & Pick<WebhookTarget, 'type'>): WebhookTarget => ({
  url: 'https://hooks.example.com/hook/abcdefghijklmnop',
  ...t,
})
const json = (body: string) => JSON.parse(body)

describe('event text', () => {
  test('the text names the account, event, message, until and time in ISO', () => {
    expect(eventText(event)).toBe(TEXT)
  })

  test('an empty message and a null until are left out', () => {
    expect(eventText({ ...event, message: '', until: null })).toBe(
      [
        'Claude Relay: Account rate limited',
        'Account: acme (acc-1)',
        'Event: rate_limited',
        'Time: 2025-01-02T03:04:05.678Z',
      ].join('\n'),
    )
  })
})

describe('formats', () => {
  test('custom posts the event as JSON, unsigned without a secret', async () => {
    const req = await formatCustom(target({ type: 'custom' }), event, { now: NOW })
    expect(req.url).toBe('https://hooks.example.com/hook/abcdefghijklmnop')
    expect(req.init.method).toBe('POST')
    expect(req.init.headers).toEqual(HEADERS)
    expect(json(req.init.body)).toEqual({
      type: 'rate_limited',
      notificationType: 'accountAnomaly',
      title: 'Claude Relay: Account rate limited',
      text: TEXT,
      accountId: 'acc-1',
      accountName: 'acme',
      platform: 'claude-console',
      message: 'scripted 429',
      until: '2025-01-02T03:05:05.000Z',
      at: '2025-01-02T03:04:05.678Z',
    })
  })

  test('custom with a secret signs timestamp.body with HMAC-SHA256 (hex)', async () => {
    const req = await formatCustom(target({ type: 'custom', secret: 's3cret' }), event, {
      now: NOW,
    })
    const ts = String(Math.floor(NOW / 1000))
    const expected = createHmac('sha256', 's3cret').update(`${ts}.${req.init.body}`).digest('hex')
    expect(req.init.headers).toEqual({
      ...HEADERS,
      'x-webhook-timestamp': ts,
      'x-webhook-signature': `sha256=${expected}`,
    })
  })

  test('slack sends mrkdwn text', () => {
    const req = formatSlack(target({ type: 'slack' }), event)
    expect(req.init.headers).toEqual(HEADERS)
    expect(json(req.init.body)).toEqual({
      text: [
        '*Claude Relay: Account rate limited*',
        ...FIELDS.map(([k, v]) => `*${k}:* ${v}`),
      ].join('\n'),
    })
  })

  test('discord sends one embed with a field per line', () => {
    const req = formatDiscord(target({ type: 'discord' }), event)
    expect(json(req.init.body)).toEqual({
      embeds: [
        {
          title: 'Claude Relay: Account rate limited',
          color: 0xf59e0b,
          fields: FIELDS.map(([name, value]) => ({ name, value, inline: false })),
          timestamp: '2025-01-02T03:04:05.678Z',
        },
      ],
    })
  })

  test('telegram calls sendMessage with the bot token and chat id', () => {
    const t = target({ type: 'telegram', url: '', botToken: '123:ABC', chatId: '-10042' })
    const req = formatTelegram(t, event)
    expect(req.url).toBe('https://api.telegram.org/bot123:ABC/sendMessage')
    expect(json(req.init.body)).toEqual({
      chat_id: '-10042',
      text: TEXT,
      disable_web_page_preview: true,
    })
    const custom = formatTelegram({ ...t, apiBaseUrl: 'http://127.0.0.1:9/tg/' }, event)
    expect(custom.url).toBe('http://127.0.0.1:9/tg/bot123:ABC/sendMessage')
  })

  test('feishu sends an interactive card, unsigned without a secret', async () => {
    const req = await formatFeishu(target({ type: 'feishu' }), event, { now: NOW })
    expect(json(req.init.body)).toEqual({
      msg_type: 'interactive',
      card: {
        config: { wide_screen_mode: true },
        header: {
          title: { tag: 'plain_text', content: 'Claude Relay: Account rate limited' },
          template: 'red',
        },
        elements: [
          {
            tag: 'div',
            text: { tag: 'lark_md', content: FIELDS.map(([k, v]) => `**${k}:** ${v}`).join('\n') },
          },
        ],
      },
    })
  })

  test('feishu with a secret adds timestamp (s) and the documented signature', async () => {
    const req = await formatFeishu(target({ type: 'feishu', secret: 'fs-secret' }), event, {
      now: NOW,
    })
    const ts = Math.floor(NOW / 1000)
    // Feishu: HMAC-SHA256 keyed with "timestamp\nsecret" over an empty message, base64.
    const expected = createHmac('sha256', `${ts}\nfs-secret`).update('').digest('base64')
    const body = json(req.init.body)
    expect(body.timestamp).toBe(String(ts))
    expect(body.sign).toBe(expected)
    expect(await feishuSign('fs-secret', ts)).toBe(expected)
    expect(body.msg_type).toBe('interactive')
    expect(req.url).toBe('https://hooks.example.com/hook/abcdefghijklmnop')
  })

  test('dingtalk sends markdown, unsigned without a secret', async () => {
    const url = 'https://oapi.dingtalk.com/robot/send?access_token=tok123456789'
    const req = await formatDingtalk(target({ type: 'dingtalk', url }), event, { now: NOW })
    expect(req.url).toBe(url)
    expect(json(req.init.body)).toEqual({
      msgtype: 'markdown',
      markdown: {
        title: 'Claude Relay: Account rate limited',
        text: [
          '### Claude Relay: Account rate limited',
          '',
          ...FIELDS.map(([k, v]) => `- **${k}:** ${v}`),
        ].join('\n'),
      },
    })
  })

  test('dingtalk with a secret appends timestamp (ms) and the URL-encoded signature', async () => {
    const url = 'https://oapi.dingtalk.com/robot/send?access_token=tok123456789'
    const secret = 'SECd1ngtalk+/='
    const req = await formatDingtalk(target({ type: 'dingtalk', url, secret }), event, {
      now: NOW,
    })
    // DingTalk: HMAC-SHA256 of "timestamp\nsecret" keyed with the secret, base64, URL-encoded.
    const raw = createHmac('sha256', secret).update(`${NOW}\n${secret}`).digest('base64')
    expect(req.url).toBe(`${url}&timestamp=${NOW}&sign=${encodeURIComponent(raw)}`)
    expect(await dingtalkSign(secret, NOW)).toBe(raw)
    const noQuery = await formatDingtalk(
      target({ type: 'dingtalk', url: 'https://example.com/robot', secret }),
      event,
      { now: NOW },
    )
    expect(noQuery.url.startsWith(`https://example.com/robot?timestamp=${NOW}&sign=`)).toBe(true)
  })

  test('wecom sends a markdown message', () => {
    const req = formatWecom(target({ type: 'wecom' }), event)
    expect(json(req.init.body)).toEqual({
      msgtype: 'markdown',
      markdown: {
        content: [
          '**Claude Relay: Account rate limited**',
          ...FIELDS.map(([k, v]) => `> ${k}: ${v}`),
        ].join('\n'),
      },
    })
  })

  test('formatFor dispatches every platform type', async () => {
    for (const type of ['custom', 'slack', 'discord', 'feishu', 'dingtalk', 'wecom'] as const) {
      const req = await formatFor(target({ type }), event, { now: NOW })
      expect(req.url).toBe('https://hooks.example.com/hook/abcdefghijklmnop')
      expect(() => JSON.parse(req.init.body)).not.toThrow()
    }
    const tg = await formatFor(
      target({ type: 'telegram', url: '', botToken: '1:x', chatId: '5' }),
      event,
      { now: NOW },
    )
    expect(tg.url).toBe('https://api.telegram.org/bot1:x/sendMessage')
  })
})

describe('maskUrl', () => {
  test('keeps scheme and host and only the last 4 characters of a long path', () => {
    expect(maskUrl('https://hooks.slack.com/services/T000/B000/abcdefghijklWXYZ')).toBe(
      'https://hooks.slack.com/…/WXYZ',
    )
    expect(maskUrl('https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef')).toBe(
      'https://oapi.dingtalk.com/…/cdef',
    )
  })

  test('hides short paths completely and drops credentials', () => {
    expect(maskUrl('http://127.0.0.1:8080/hook')).toBe('http://127.0.0.1:8080/…')
    expect(maskUrl('https://user:pass@example.com/')).toBe('https://example.com')
    expect(maskUrl('https://user:pass@example.com/a/very/long/secret/path')).toBe(
      'https://example.com/…/path',
    )
  })

  test('never returns an unparseable URL', () => {
    expect(maskUrl('not a url with secret')).toBe('…')
    expect(maskUrl('')).toBe('')
  })
})
