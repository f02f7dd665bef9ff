/**
 * Browser-test harness: builds the web UI once, starts a listening relay (fake upstream, seeded
 * demo data) serving it at /web, and opens Chromium pages that record every console error, page
 * error, failed request and HTTP error response.
 */
import { afterAll, beforeAll } from 'bun:test'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { distAssetReader } from '../../src/runtime/bun.ts'
import { buildWeb } from '../../web-components/build.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { ADMIN, startRelay, type TestRelay } from '../helpers/relay.ts'

export { ADMIN }

let built: Promise<string> | null = null

/** Builds dist/web once per process. */
export function ensureBuilt(): Promise<string> {
  built ??= buildWeb().then((b) => b.outdir)
  return built
}

/** Chromium, launched as the project decided. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}

/** A relay with the built UI and the fake upstream. */
export interface WebRelay {
  r: TestRelay
  up: FakeUpstream
  url: string
  stop(): Promise<void>
}

/** Starts a listening relay that serves the built UI. */
export async function startWebRelay(env: Record<string, string> = {}): Promise<WebRelay> {
  const dir = await ensureBuilt()
  const up = startFakeUpstream()
  const r = await startRelay({ upstream: up, listen: true, readAsset: distAssetReader(dir), env })
  return {
    r,
    up,
    url: r.url,
    async stop() {
      await r.stop()
      up.stop()
    },
  }
}

/** Sends one Messages request through the relay with a key. */
export async function sendMessage(
  url: string,
  key: string,
  options: { model?: string; stream?: boolean; text?: string } = {},
): Promise<Response> {
  const res = await fetch(`${url}/api/v1/messages`, {
    method: 'POST',
    headers: {
      'x-api-key': key,
      'anthropic-version': '2023-06-01',
      'content-type': 'application/json',
      'user-agent': 'claude-cli/2.0.0 (external, cli)',
    },
    body: JSON.stringify({
      model: options.model ?? 'claude-sonnet-4-5',
      max_tokens: 64,
      stream: options.stream ?? false,
      messages: [{ role: 'user', content: options.text ?? 'Hello from the web test' }],
    }),
  })
  await res.text()
  return res
}

/** Sends one count_tokens request through the relay with a key. */
export async function sendCountTokens(url: string, key: string): Promise<Response> {
  const res = await fetch(`${url}/api/v1/messages/count_tokens`, {
    method: 'POST',
    headers: {
      'x-api-key': key,
      'anthropic-version': '2023-06-01',
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'How many tokens is this?' }],
    }),
  })
  await res.text()
  return res
}

/** Sends one OpenAI-compatible chat request through the relay with a key. */
export async function sendChat(url: string, key: string): Promise<Response> {
  const res = await fetch(`${url}/openai/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'claude-sonnet-4-5',
      max_tokens: 32,
      messages: [{ role: 'user', content: 'Hello from an OpenAI client' }],
    }),
  })
  await res.text()
  return res
}

/**
 * Demo data: accounts, a group, keys with limits (a $3 per 5 minutes window among them) and
 * restrictions, and history of every kind: successes, a failover, an error with no account left,
 * rejections, count_tokens and OpenAI-compatible calls; plus edits for the audit log.
 */
export async function seedDemo(
  w: WebRelay,
): Promise<{ keys: { id: string; key: string; name: string }[] }> {
  const { r, up } = w
  const primary = await r.createConsoleAccount('console-primary', { priority: 10 })
  const backup = await r.createConsoleAccount('console-backup', {
    priority: 60,
    description: 'Fallback endpoint',
  })
  const oauth = await r.createOAuthAccount('claude-max-team')
  const g = await r.admin('POST', '/admin/account-groups', { name: 'Team A', platform: 'claude' })
  if (g.status === 200)
    await r.admin('PUT', `/admin/account-groups/${g.json.data.id}/members`, {
      accountIds: [primary],
    })
  const keys: { id: string; key: string; name: string }[] = []
  const specs: [string, Record<string, unknown>][] = [
    ['alice-laptop', { tags: ['team-a'], concurrencyLimit: 4, dailyCostLimit: 20 }],
    [
      'bob-ci',
      { tags: ['ci'], rateLimitWindow: 60, rateLimitRequests: 500, tokenLimit: 2_000_000 },
    ],
    [
      'carol',
      {
        tags: ['team-a'],
        totalCostLimit: 100,
        weeklyOpusCostLimit: 40,
        rateLimitWindow: 5,
        rateLimitCost: 3,
      },
    ],
    ['dave-readonly', { isActive: false }],
    [
      'erin-restricted',
      {
        tags: ['ci'],
        permissions: 'claude',
        enableModelRestriction: true,
        modelRestrictionMode: 'allow',
        restrictedModels: ['claude-haiku-4-5'],
        claudeAccountId: oauth,
        claudeConsoleAccountId: backup,
      },
    ],
  ]
  for (const [name, input] of specs) {
    const k = await r.createKey({ name, ...input })
    keys.push({ ...k, name })
  }
  const before = r.outcomes.length
  const models = ['claude-sonnet-4-5', 'claude-opus-4-1', 'claude-haiku-4-5']
  let n = 0
  for (let i = 0; i < 14; i++) {
    const k = keys[i % 3]!
    await sendMessage(w.url, k.key, {
      model: models[i % 3],
      stream: i % 2 === 0,
      text: `Demo request ${i}`,
    })
    n++
  }
  up.script('console-primary', { kind: 'error', status: 529 })
  up.script('console-backup', { kind: 'error', status: 500 })
  await sendMessage(w.url, keys[1]!.key, { text: 'This one fails' })
  n++
  up.reset()
  await r.admin('POST', `/admin/claude-console-accounts/${primary}/reset-status`)
  // No account left to try: every one paused for one request.
  const all = [
    ['claude-console-accounts', primary],
    ['claude-console-accounts', backup],
    ['claude-accounts', oauth],
  ] as const
  for (const [path, id] of all) await r.admin('PUT', `/admin/${path}/${id}/toggle`)
  await sendMessage(w.url, keys[0]!.key, { text: 'Nobody home' })
  n++
  for (const [path, id] of all) await r.admin('PUT', `/admin/${path}/${id}/toggle`)
  // Rejections (a model the key may not use, a disabled key), count_tokens and OpenAI calls.
  await sendMessage(w.url, keys[4]!.key, { model: 'claude-opus-4-1', text: 'Not allowed' })
  n++
  await sendCountTokens(w.url, keys[0]!.key)
  n++
  await sendChat(w.url, keys[1]!.key)
  n++
  // Edits for the audit log.
  await r.admin('PUT', `/admin/api-keys/${keys[1]!.id}`, {
    dailyCostLimit: 15,
    tags: ['ci', 'nightly'],
  })
  await r.admin('PUT', `/admin/claude-console-accounts/${backup}`, { priority: 40 })
  await r.waitOutcomes(before + n)
  await r.relay.services.history.flush()
  await r.relay.services.usage.flush?.()
  return { keys }
}

/** Problems a page reported; tests assert it stays empty. */
export interface PageWatch {
  problems: string[]
  /** Responses with these statuses for URLs matching the pattern are expected once. */
  allow(status: number, url: RegExp): void
}

/** Records console errors, page errors, failed requests and HTTP errors of a page. */
export function watch(page: Page): PageWatch {
  const problems: string[] = []
  const allowed: { status: number; url: RegExp }[] = []
  const isAllowed = (status: number, url: string) => {
    const i = allowed.findIndex((a) => a.status === status && a.url.test(url))
    if (i < 0) return false
    return true
  }
  page.on('console', (m) => {
    if (m.type() !== 'error') return
    const text = m.text()
    // Chromium logs every 4xx/5xx response as a console error; those are judged below.
    if (/Failed to load resource: the server responded with a status of (\d+)/.test(text)) {
      const status = Number(/status of (\d+)/.exec(text)?.[1])
      const url = m.location().url ?? ''
      if (isAllowed(status, url)) return
    }
    problems.push(`console error: ${text}`)
  })
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('requestfailed', (req) => {
    const err = req.failure()?.errorText ?? ''
    // A download navigation is reported as aborted; it is not a failure.
    if (req.url().startsWith('blob:') || err === 'net::ERR_ABORTED') return
    problems.push(`request failed: ${req.method()} ${req.url()} ${err}`)
  })
  page.on('response', (res) => {
    if (res.status() >= 400 && !isAllowed(res.status(), res.url()))
      problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`)
  })
  return {
    problems,
    allow(status, url) {
      allowed.push({ status, url })
    },
  }
}

/** A fresh context and page at a viewport, optionally dark and Chinese. */
export async function openPage(
  browser: Browser,
  options: { width?: number; height?: number; dark?: boolean; locale?: string } = {},
): Promise<{ context: BrowserContext; page: Page; w: PageWatch }> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1440, height: options.height ?? 900 },
    colorScheme: options.dark ? 'dark' : 'light',
    locale: options.locale ?? 'en-US',
    acceptDownloads: true,
  })
  // `crsFind(selector)` in page functions: the first match, searching every shadow root.
  await context.addInitScript(() => {
    const find = (root: any, sel: string): any => {
      const hit = root.querySelector(sel)
      if (hit) return hit
      for (const el of root.querySelectorAll('*'))
        if (el.shadowRoot) {
          const x = find(el.shadowRoot, sel)
          if (x) return x
        }
      return null
    }
    ;(globalThis as any).crsFind = (sel: string) => find((globalThis as any).document, sel)
  })
  const page = await context.newPage()
  return { context, page, w: watch(page) }
}

/** Signs in through the form. */
export async function signIn(page: Page, base: string): Promise<void> {
  await page.goto(`${base}/web#/login`)
  await page.getByLabel('User name').fill(ADMIN.username)
  await page.getByLabel('Password').fill(ADMIN.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(/#\/dashboard/)
}

/** Stores an admin session in localStorage before the app loads (faster than the form). */
export async function presetSession(
  context: BrowserContext,
  r: TestRelay,
  extra: Record<string, string> = {},
): Promise<void> {
  const token = await r.adminToken()
  const entries = { 'crs.token': token, 'crs.user': ADMIN.username, ...extra }
  await context.addInitScript((e: Record<string, string>) => {
    for (const [k, v] of Object.entries(e))
      if (localStorage.getItem(k) === null) localStorage.setItem(k, v)
  }, entries)
}

/** Waits for text anywhere in the page, piercing shadow roots. */
export async function expectText(page: Page, text: string | RegExp): Promise<void> {
  await page.getByText(text).first().waitFor({ timeout: 15_000 })
}

/** A signed-in page (session preset) opened at a route, with its problem watch. */
export async function adminPage(
  browser: Browser,
  w: WebRelay,
  route: string,
  options: { width?: number; height?: number; dark?: boolean; locale?: string } = {},
): Promise<{ context: BrowserContext; page: Page; w: PageWatch }> {
  const opened = await openPage(browser, options)
  await presetSession(opened.context, w.r)
  await opened.page.goto(`${w.url}/web#/${route}`)
  return opened
}

/** Ids of the demo accounts by name. */
export async function accountIds(w: WebRelay): Promise<Record<string, string>> {
  const list = [
    ...(await w.r.admin('GET', '/admin/claude-console-accounts')).json.data,
    ...(await w.r.admin('GET', '/admin/claude-accounts')).json.data,
  ] as { id: string; name: string }[]
  return Object.fromEntries(list.map((a) => [a.name, a.id]))
}

/** Opens the actions menu of a table row and chooses an item by its visible label. */
export async function rowAction(page: Page, rowId: string, label: string | RegExp): Promise<void> {
  const row = page.locator(`tr[data-id="${rowId}"]`)
  await row.locator('crs-menu button.trigger').click()
  await row.getByRole('menuitem', { name: label }).click()
}

/** An opened page, as {@link openPage} and {@link adminPage} give it. */
export interface OpenedPage {
  context: BrowserContext
  page: Page
  w: PageWatch
}

/**
 * Runs `fn` on an opened page, then fails if the page reported a problem (console or page error,
 * failed request, unexpected HTTP error); the context is closed either way.
 */
export async function onPage(
  opening: Promise<OpenedPage>,
  fn: (page: Page, watch: PageWatch, context: BrowserContext) => Promise<void>,
): Promise<void> {
  const { context, page, w: watched } = await opening
  try {
    await fn(page, watched, context)
    if (watched.problems.length)
      throw new Error(`the page reported problems:\n${watched.problems.join('\n')}`)
  } finally {
    await context.close()
  }
}

/** A demo relay and a browser for a test file: filled in before its tests, stopped after them. */
export function demoSuite(): {
  w: WebRelay
  browser: Browser
  keys: { id: string; key: string; name: string }[]
} {
  const suite = {} as {
    w: WebRelay
    browser: Browser
    keys: { id: string; key: string; name: string }[]
  }
  beforeAll(async () => {
    suite.w = await startWebRelay()
    suite.keys = (await seedDemo(suite.w)).keys
    suite.browser = await launchBrowser()
  }, 90_000)
  afterAll(async () => {
    await suite.browser?.close()
    await suite.w?.stop()
  })
  return suite
}
