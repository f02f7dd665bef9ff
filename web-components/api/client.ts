/**
 * @module
 * The only module that calls `fetch`. Sends the admin token (or a key holder's key), unwraps
 * `{ success, data }`, turns Anthropic-shaped errors into {@link ApiError} and returns typed data.
 */
import type {
  Account,
  AccountGroup,
  AccountTestResult,
  AccountUsageStats,
  AccountUsageSummary,
  ApiKey,
  AuditEntry,
  AuthUrl,
  BatchStats,
  CodexUsageRow,
  CreatedKey,
  Dashboard,
  HistoryConfig,
  HistoryPage,
  HistoryRecord,
  HistoryStats,
  HistorySummary,
  KeyInput,
  KeyLimitUsage,
  KeyPage,
  ModelStat,
  OemSettings,
  OpenAIAccount,
  OpenAIPlatform,
  Platform,
  SupportedClient,
  TopTrend,
  Trend,
  UsageView,
  UserStats,
  WebhookConfig,
  WebhookConfigInput,
  WebhookPlatform,
} from './types.ts'

/** An error answered by the server (or a network failure, status 0). */
export class ApiError extends Error {
  readonly status: number
  readonly type: string
  /** Extra fields of the error object (e.g. `index` of the failing key in a batch). */
  readonly details: Record<string, unknown>
  constructor(
    status: number,
    type: string,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.type = type
    this.details = details
  }
}

const TOKEN_KEY = 'crs.token'
const USER_KEY = 'crs.user'

/** The admin session kept in localStorage. */
export const session = {
  token: (): string | null => localStorage.getItem(TOKEN_KEY),
  username: (): string | null => localStorage.getItem(USER_KEY),
  set(token: string, username: string) {
    localStorage.setItem(TOKEN_KEY, token)
    localStorage.setItem(USER_KEY, username)
  },
  clear() {
    localStorage.removeItem(TOKEN_KEY)
    localStorage.removeItem(USER_KEY)
  },
}

type Query = Record<string, string | number | boolean | null | undefined>
type Auth = { kind: 'admin' } | { kind: 'none' } | { kind: 'key'; key: string }

interface RequestOptions {
  query?: Query
  body?: unknown
  auth?: Auth
}

function url(path: string, query?: Query): string {
  if (!query) return path
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== '') qs.set(k, String(v))
  const s = qs.toString()
  return s ? `${path}?${s}` : path
}

async function send(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
  const auth = opts.auth ?? { kind: 'admin' }
  const headers: Record<string, string> = { accept: 'application/json' }
  if (auth.kind === 'admin') {
    const token = session.token()
    if (token) headers.authorization = `Bearer ${token}`
  } else if (auth.kind === 'key') headers['x-api-key'] = auth.key
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(url(path, opts.query), {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    })
  } catch (err) {
    throw new ApiError(0, 'network_error', err instanceof Error ? err.message : String(err))
  }
  if (res.ok) return res
  let type = 'api_error'
  let message = `${res.status} ${res.statusText}`
  let details: Record<string, unknown> = {}
  try {
    const j = (await res.json()) as {
      error?: ({ type?: string; message?: string } & Record<string, unknown>) | string
    }
    if (typeof j.error === 'string') message = j.error
    else if (j.error) {
      const { type: ty, message: msg, ...rest } = j.error
      type = ty ?? type
      message = msg ?? message
      details = rest
    }
  } catch {}
  if (res.status === 401 && auth.kind === 'admin' && session.token()) {
    session.clear()
    window.dispatchEvent(new CustomEvent('crs-unauthorized'))
  }
  throw new ApiError(res.status, type, message, details)
}

async function json<T>(method: string, path: string, opts?: RequestOptions): Promise<T> {
  const res = await send(method, path, opts)
  return (await res.json()) as T
}

async function data<T>(method: string, path: string, opts?: RequestOptions): Promise<T> {
  return (await json<{ data: T }>(method, path, opts)).data
}

/** Reads an SSE test stream until its `test_complete` event. */
async function testResult(res: Response): Promise<AccountTestResult> {
  const text = await res.text()
  const m = /event: test_complete\ndata: (.*)\n/.exec(text)
  if (!m?.[1]) throw new ApiError(502, 'api_error', 'The test ended without a result')
  return JSON.parse(m[1]) as AccountTestResult
}

const ACCOUNT_PATHS: Record<Platform, string> = {
  'claude-oauth': '/admin/claude-accounts',
  'claude-console': '/admin/claude-console-accounts',
  bedrock: '/admin/bedrock-accounts',
  ccr: '/admin/ccr-accounts',
  droid: '/admin/droid-accounts',
  openai: '/admin/openai-accounts',
  'openai-responses': '/admin/openai-responses-accounts',
  'azure-openai': '/admin/azure-openai-accounts',
  'gemini-oauth': '/admin/gemini-accounts',
  'gemini-api': '/admin/gemini-api-accounts',
}
const accountPath = (p: Platform) => ACCOUNT_PATHS[p]
const OPENAI_PATHS: Record<OpenAIPlatform, string> = {
  openai: '/admin/openai-accounts',
  'openai-responses': '/admin/openai-responses-accounts',
  'azure-openai': '/admin/azure-openai-accounts',
}

/** Every call the UI makes. */
export const api = {
  // Session
  async login(username: string, password: string) {
    const r = await json<{ token: string; username: string }>('POST', '/web/auth/login', {
      body: { username, password },
      auth: { kind: 'none' },
    })
    session.set(r.token, r.username ?? username)
    return r
  },
  oem: () => data<OemSettings>('GET', '/admin/oem-settings', { auth: { kind: 'none' } }),
  saveOem: (body: Partial<OemSettings>) =>
    data<OemSettings>('PUT', '/admin/oem-settings', { body }),
  me: () =>
    json<{ user: { username: string; expiresAt: string } }>('GET', '/web/auth/user').then(
      (r) => r.user,
    ),
  async logout() {
    try {
      await send('POST', '/web/auth/logout')
    } finally {
      session.clear()
    }
  },
  changePassword: (body: { currentPassword: string; newPassword: string; newUsername?: string }) =>
    json<{ success: boolean }>('POST', '/web/auth/change-password', { body }),

  // Analytics
  dashboard: () => data<Dashboard>('GET', '/admin/dashboard'),
  usageTrend: (query: Query) => data<Trend>('GET', '/admin/usage-trend', { query }),
  modelStats: (query: Query) => data<ModelStat[]>('GET', '/admin/model-stats', { query }),
  keyUsageTrend: (id: string, query: Query) =>
    data<Trend>('GET', `/admin/api-keys/${encodeURIComponent(id)}/usage-trend`, { query }),
  keyModelStats: (id: string, query: Query) =>
    data<ModelStat[]>('GET', `/admin/api-keys/${encodeURIComponent(id)}/model-stats`, { query }),
  keyLimitUsage: (ids: string[]) =>
    data<Record<string, KeyLimitUsage>>('GET', '/admin/api-keys/limit-usage', {
      query: { ids: ids.join(',') },
    }),
  keysTopTrend: (query: Query) => data<TopTrend>('GET', '/admin/api-keys-usage-trend', { query }),
  accountsTopTrend: (query: Query) =>
    data<TopTrend>('GET', '/admin/account-usage-trend', { query }),
  accountUsageSummary: () =>
    data<Record<string, AccountUsageSummary>>('GET', '/admin/accounts/usage-summary'),
  accountUsageStats: (id: string, query: Query) =>
    data<AccountUsageStats>('GET', `/admin/accounts/${encodeURIComponent(id)}/usage-stats`, {
      query,
    }),
  accountModelStats: (id: string, period: 'daily' | 'monthly') =>
    data<ModelStat[]>('GET', `/admin/accounts/${encodeURIComponent(id)}/model-stats`, {
      query: { period },
    }),
  auditLog: (query: Query) =>
    data<{ entries: AuditEntry[]; nextBefore: number | null }>('GET', '/admin/audit-log', {
      query,
    }),

  // Keys
  keys: (query: Query) => data<KeyPage>('GET', '/admin/api-keys', { query }),
  keyTags: () => data<string[]>('GET', '/admin/api-keys/tags'),
  deletedKeys: () => data<ApiKey[]>('GET', '/admin/api-keys/deleted'),
  supportedClients: () => data<SupportedClient[]>('GET', '/admin/supported-clients'),
  createKey: (body: Partial<KeyInput>) =>
    data<ApiKey & { apiKey: string }>('POST', '/admin/api-keys', { body }),
  batchCreateKeys: (body: Partial<KeyInput> & { baseName: string; count: number }) =>
    data<CreatedKey[]>('POST', '/admin/api-keys/batch', { body }),
  updateKey: (id: string, body: Partial<KeyInput>) =>
    data<ApiKey>('PUT', `/admin/api-keys/${encodeURIComponent(id)}`, { body }),
  batchUpdateKeys: (keyIds: string[], updates: Partial<KeyInput> & { tagOperation?: string }) =>
    data<{ updated: number; results: { id: string; ok: boolean; error?: string }[] }>(
      'PUT',
      '/admin/api-keys/batch',
      { body: { keyIds, updates } },
    ),
  batchDeleteKeys: (keyIds: string[]) =>
    data<{ deleted: number }>('DELETE', '/admin/api-keys/batch', { body: { keyIds } }),
  deleteKey: (id: string) => json<unknown>('DELETE', `/admin/api-keys/${encodeURIComponent(id)}`),
  restoreKey: (id: string) =>
    json<unknown>('POST', `/admin/api-keys/${encodeURIComponent(id)}/restore`),
  purgeKey: (id: string) =>
    json<unknown>('DELETE', `/admin/api-keys/${encodeURIComponent(id)}/permanent`),
  clearTrash: () => json<unknown>('DELETE', '/admin/api-keys/deleted/clear-all'),
  regenerateKey: (id: string) =>
    data<ApiKey & { apiKey: string }>(
      'POST',
      `/admin/api-keys/${encodeURIComponent(id)}/regenerate`,
    ),

  // Accounts
  accounts: (p: Platform) => data<Account[]>('GET', accountPath(p)),
  geminiAuthUrl: (proxy: unknown) =>
    data<{ authUrl: string; sessionId: string }>(
      'POST',
      '/admin/gemini-accounts/generate-auth-url',
      { body: { proxy } },
    ),
  geminiExchange: (sessionId: string, code: string, proxy: unknown) =>
    data<{ tokens: Record<string, unknown> }>('POST', '/admin/gemini-accounts/exchange-code', {
      body: { sessionId, code, proxy },
    }),
  createAccount: (p: Platform, body: Record<string, unknown>) =>
    data<Account>('POST', accountPath(p), { body }),
  updateAccount: (p: Platform, id: string, body: Record<string, unknown>) =>
    data<Account>('PUT', `${accountPath(p)}/${encodeURIComponent(id)}`, { body }),
  deleteAccount: (p: Platform, id: string) =>
    json<unknown>('DELETE', `${accountPath(p)}/${encodeURIComponent(id)}`),
  resetAccount: (p: Platform, id: string) =>
    json<unknown>('POST', `${accountPath(p)}/${encodeURIComponent(id)}/reset-status`),
  toggleAccount: (p: Platform, id: string) =>
    data<{ id: string; schedulable: boolean }>(
      'PUT',
      `${accountPath(p)}/${encodeURIComponent(id)}/toggle`,
    ),
  refreshAccount: (id: string) =>
    json<unknown>('POST', `/admin/claude-accounts/${encodeURIComponent(id)}/refresh`),
  async testAccount(p: Platform, id: string): Promise<AccountTestResult> {
    return testResult(await send('POST', `${accountPath(p)}/${encodeURIComponent(id)}/test`))
  },
  refreshUsageWindows: () => json<unknown>('GET', '/admin/claude-accounts/usage'),
  droidDeviceStart: () =>
    data<{ sessionId: string; userCode: string; verificationUriComplete: string }>(
      'POST',
      '/admin/droid-accounts/generate-auth-url',
      { body: {} },
    ),
  droidDeviceExchange: (sessionId: string) =>
    json<{ success: boolean; pending?: boolean; data?: Record<string, unknown> }>(
      'POST',
      '/admin/droid-accounts/exchange-code',
      { body: { sessionId } },
    ),
  generateAuthUrl: (setupToken: boolean, proxy: unknown) =>
    data<AuthUrl>(
      'POST',
      setupToken
        ? '/admin/claude-accounts/generate-setup-token-url'
        : '/admin/claude-accounts/generate-auth-url',
      { body: { proxy } },
    ),
  exchangeCode: (setupToken: boolean, body: Record<string, unknown>) =>
    data<{ account?: Account }>(
      'POST',
      setupToken
        ? '/admin/claude-accounts/exchange-setup-token-code'
        : '/admin/claude-accounts/exchange-code',
      { body },
    ),
  groups: () => data<AccountGroup[]>('GET', '/admin/account-groups'),
  createGroup: (body: { name: string; platform: string; description?: string }) =>
    data<AccountGroup>('POST', '/admin/account-groups', { body }),
  updateGroup: (id: string, body: { name?: string; description?: string }) =>
    data<AccountGroup>('PUT', `/admin/account-groups/${encodeURIComponent(id)}`, { body }),
  deleteGroup: (id: string) =>
    json<unknown>('DELETE', `/admin/account-groups/${encodeURIComponent(id)}`),
  setGroupMembers: (id: string, accountIds: string[]) =>
    data<unknown>('PUT', `/admin/account-groups/${encodeURIComponent(id)}/members`, {
      body: { accountIds },
    }),

  // History
  history: (query: Query) => data<HistoryPage>('GET', '/admin/request-history', { query }),
  historyRecord: (id: string) =>
    data<HistoryRecord>('GET', `/admin/request-history/${encodeURIComponent(id)}`),
  deleteHistoryRecord: (id: string) =>
    json<unknown>('DELETE', `/admin/request-history/${encodeURIComponent(id)}`),
  keyHistoryRecord: (apiKey: string, id: string) =>
    json<{ request: SeedRecord }>('GET', `/api/v1/request-history/${encodeURIComponent(id)}`, {
      auth: { kind: 'key', key: apiKey },
    }).then((r) => fromSeedRecord(r.request)),
  historyStats: (query: Query) =>
    data<{ stats: HistoryStats }>('GET', '/admin/request-stats', { query }).then((r) => r.stats),
  historyConfig: () => data<HistoryConfig>('GET', '/admin/request-history/config'),
  updateHistoryConfig: (body: Partial<HistoryConfig>) =>
    data<HistoryConfig>('PUT', '/admin/request-history/config', { body }),
  cleanupHistory: (beforeDate: string) =>
    data<{ deleted: number; before: string }>('POST', '/admin/request-history/cleanup', {
      body: { beforeDate },
    }),
  async exportHistory(query: Query, format: 'csv' | 'jsonl') {
    const res = await send('GET', '/admin/request-history/export', {
      query: { ...query, format },
    })
    const cd = res.headers.get('content-disposition') ?? ''
    const name = /filename="([^"]+)"/.exec(cd)?.[1] ?? `request-history.${format}`
    return { blob: await res.blob(), filename: name }
  },

  // Settings
  webhookConfig: () => data<WebhookConfig>('GET', '/admin/webhook/config'),
  updateWebhookConfig: (body: WebhookConfigInput) =>
    data<WebhookConfig>('POST', '/admin/webhook/config', { body }),
  addWebhookPlatform: (body: Record<string, unknown>) =>
    data<WebhookPlatform>('POST', '/admin/webhook/platforms', { body }),
  deleteWebhookPlatform: (id: string) =>
    json<unknown>('DELETE', `/admin/webhook/platforms/${encodeURIComponent(id)}`),
  toggleWebhookPlatform: (id: string) =>
    json<unknown>('POST', `/admin/webhook/platforms/${encodeURIComponent(id)}/toggle`),
  testWebhook: (body: Record<string, unknown>) =>
    json<{ success: boolean; data?: unknown; error?: unknown }>('POST', '/admin/webhook/test', {
      body,
    }),

  // Key holders (no admin session)
  /** A short streamed message with the key; the reply text, or the error it ended with. */
  async testKey(apiKey: string): Promise<{ ok: boolean; text: string; error?: string }> {
    const res = await send('POST', '/apiStats/api-key/test', {
      body: { apiKey },
      auth: { kind: 'none' },
    })
    const events = (await res.text())
      .split('\n\n')
      .filter((s) => s.startsWith('data: '))
      .map((s) => JSON.parse(s.slice(6)) as { type: string; text?: string; error?: string })
    const text = events
      .filter((e) => e.type === 'content')
      .map((e) => e.text ?? '')
      .join('')
    const failed = events.find((e) => e.type === 'error')
    return failed
      ? { ok: false, text, error: String(failed.error ?? '') }
      : { ok: events.some((e) => e.type === 'test_complete'), text }
  },
  userStats: (apiKey: string) =>
    data<UserStats>('POST', '/apiStats/api/user-stats', {
      body: { apiKey },
      auth: { kind: 'none' },
    }),
  userModelStats: (apiKey: string, period: 'daily' | 'monthly') =>
    data<(UsageView & { model: string })[]>('POST', '/apiStats/api/user-model-stats', {
      body: { apiKey, period },
      auth: { kind: 'none' },
    }),
  batchStats: (apiKeys: string[], period: 'daily' | 'monthly' | 'total') =>
    data<BatchStats>('POST', '/apiStats/api/batch-stats', {
      body: { apiKeys, period },
      auth: { kind: 'none' },
    }),
  batchModelStats: (apiKeys: string[], period: 'daily' | 'monthly') =>
    data<(UsageView & { model: string; keyCount: number })[]>(
      'POST',
      '/apiStats/api/batch-model-stats',
      { body: { apiKeys, period }, auth: { kind: 'none' } },
    ),
  keyHistory: (apiKey: string, query: Query) =>
    json<SeedPage>('GET', '/api/v1/request-history', {
      query,
      auth: { kind: 'key', key: apiKey },
    }).then((page) => ({ ...page, history: page.history.map(fromSeedSummary) })),
  // OpenAI-family accounts (ChatGPT login, OpenAI-Responses, Azure OpenAI)
  openai: {
    list: (p: OpenAIPlatform) => data<OpenAIAccount[]>('GET', OPENAI_PATHS[p]),
    create: (p: OpenAIPlatform, body: Record<string, unknown>) =>
      data<OpenAIAccount>('POST', OPENAI_PATHS[p], { body }),
    update: (p: OpenAIPlatform, id: string, body: Record<string, unknown>) =>
      data<OpenAIAccount>('PUT', `${OPENAI_PATHS[p]}/${encodeURIComponent(id)}`, { body }),
    remove: (p: OpenAIPlatform, id: string) =>
      json<unknown>('DELETE', `${OPENAI_PATHS[p]}/${encodeURIComponent(id)}`),
    reset: (p: OpenAIPlatform, id: string) =>
      json<unknown>('POST', `${OPENAI_PATHS[p]}/${encodeURIComponent(id)}/reset-status`),
    toggle: (p: OpenAIPlatform, id: string) =>
      json<unknown>('PUT', `${OPENAI_PATHS[p]}/${encodeURIComponent(id)}/toggle`),
    async test(p: OpenAIPlatform, id: string): Promise<AccountTestResult> {
      return testResult(await send('POST', `${OPENAI_PATHS[p]}/${encodeURIComponent(id)}/test`))
    },
    authUrl: () =>
      data<{ authUrl: string; sessionId: string }>(
        'POST',
        '/admin/openai-accounts/generate-auth-url',
        {
          body: {},
        },
      ),
    exchange: (body: Record<string, unknown>) =>
      data<unknown>('POST', '/admin/openai-accounts/exchange-code', { body }),
    usage: () => data<Record<string, CodexUsageRow>>('GET', '/admin/openai-accounts/usage'),
  },
}

/**
 * The key holder's history routes answer in the old system's shape: `status` is `success` or
 * `error` (the HTTP status is `statusCode`), bodies are JSON values and headers are `headers`.
 * The UI reads them as the admin routes' records.
 */
type SeedSummary = Omit<HistorySummary, 'status'> & { status: string; statusCode: number }
type SeedRecord = Omit<HistoryRecord, 'status' | 'requestBody' | 'responseBody'> & {
  status: string
  statusCode: number
  requestBody: unknown
  responseBody: unknown
}
type SeedPage = Omit<HistoryPage, 'history'> & { history: SeedSummary[] }

function fromSeedSummary(s: SeedSummary): HistorySummary {
  return { ...s, status: s.statusCode }
}

function bodyText(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v)
}

function fromSeedRecord(r: SeedRecord): HistoryRecord {
  return {
    ...r,
    status: r.statusCode,
    requestBody: bodyText(r.requestBody),
    responseBody: bodyText(r.responseBody),
  }
}
