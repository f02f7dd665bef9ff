/**
 * @module
 * Upstream accounts. The configuration (`Account`) changes rarely and is cached; the health state
 * (`AccountState`) changes with upstream responses and is stored separately so a health update
 * never rewrites, or races with, an edit of the configuration.
 */
import { type Static, Type as T } from '@sinclair/typebox'
import { literals } from '../core/schema.ts'

/** Kind of upstream. */
export const AccountPlatform = literals(
  'claude-oauth',
  'claude-console',
  'bedrock',
  'ccr',
  'droid',
  'openai',
  'openai-responses',
  'azure-openai',
  'gemini-oauth',
  'gemini-api',
)
export type AccountPlatform = Static<typeof AccountPlatform>

/** Outbound proxy of an account (its password lives in the sealed secret). */
export const ProxyConfig = T.Object({
  type: T.Union([T.Literal('http'), T.Literal('https'), T.Literal('socks5')]),
  host: T.String({ minLength: 1 }),
  port: T.Integer({ minimum: 1, maximum: 65535 }),
  username: T.Optional(T.String()),
})
export type ProxyConfig = Static<typeof ProxyConfig>

/** A stored upstream account. `secret` is AES-256-GCM sealed JSON of {@link AccountSecrets}. */
export const Account = T.Object({
  id: T.String(),
  platform: AccountPlatform,
  name: T.String({ minLength: 1, maxLength: 100 }),
  description: T.String({ default: '' }),
  secret: T.String(),
  /** OAuth access-token expiry, epoch ms (0 = unknown). */
  tokenExpiresAt: T.Number({ default: 0 }),
  scopes: T.Array(T.String(), { default: [] }),
  /** Console: base URL of the Anthropic-compatible API. */
  apiUrl: T.String({ default: '' }),
  userAgent: T.String({ default: '' }),
  priority: T.Integer({ minimum: 1, maximum: 100, default: 50 }),
  schedulable: T.Boolean({ default: true }),
  isActive: T.Boolean({ default: true }),
  accountType: T.Union([T.Literal('shared'), T.Literal('dedicated'), T.Literal('group')], {
    default: 'shared',
  }),
  groupIds: T.Array(T.String(), { default: [] }),
  proxy: T.Union([ProxyConfig, T.Null()], { default: null }),
  /** Array: allowed models; object: model mapping `{requested: upstream}`; empty: all. */
  supportedModels: T.Union([T.Array(T.String()), T.Record(T.String(), T.String())], {
    default: [],
  }),
  /** In-flight requests allowed on this account; 0 = unlimited. */
  maxConcurrency: T.Integer({ minimum: 0, default: 0 }),
  subscriptionInfo: T.Union([T.Record(T.String(), T.Unknown()), T.Null()], { default: null }),
  /**
   * Settings of this account kind beyond the shared fields (a region, deployments, a project…):
   * their shape is the kind's adapter's `options` schema, checked when the admin writes them.
   */
  options: T.Record(T.String(), T.Unknown(), { default: {} }),
  extInfo: T.Union([T.Record(T.String(), T.Unknown()), T.Null()], { default: null }),
  createdAt: T.String(),
  updatedAt: T.String(),
})
export type Account = Static<typeof Account>

/**
 * Decrypted secrets of an account. Account kinds add their own (an id token, AWS credentials…);
 * every value here is a secret: it is sealed at rest and redacted wherever it could show.
 */
export interface AccountSecrets {
  accessToken?: string
  refreshToken?: string
  apiKey?: string
  proxyPassword?: string
  [name: string]: string | undefined
}

/** Health status; rate limits and cool-downs are time-based fields next to it. */
export const AccountStatus = literals('active', 'unauthorized', 'blocked', 'error')
export type AccountStatus = Static<typeof AccountStatus>

/** Runtime health of an account. Every `…Until` is epoch ms; the state ends by itself then. */
export const AccountState = T.Object({
  status: AccountStatus,
  rateLimitedUntil: T.Number(),
  opusRateLimitedUntil: T.Number(),
  overloadedUntil: T.Number(),
  coolingUntil: T.Number(),
  consecutiveErrors: T.Integer(),
  lastUsedAt: T.Number(),
  lastError: T.String(),
  lastErrorAt: T.Number(),
  /** Claude OAuth: the 5-hour session window (epoch ms) and its last reported status. */
  sessionWindowStart: T.Number(),
  sessionWindowEnd: T.Number(),
  /** '' (unknown), `allowed`, `allowed_warning` or `rejected`. */
  sessionWindowStatus: T.String(),
  /** Utilisation of the 5-hour and 7-day limits as the API reports it (0 to 1). */
  fiveHourUtilization: T.Number(),
  sevenDayUtilization: T.Number(),
  /** Not scheduled until then: the window warned and the account has `autoStopOnWarning`. */
  sessionStoppedUntil: T.Number(),
  /** Warning notifications sent in the current window. */
  sessionWarnings: T.Integer(),
  /** Console: over its `dailyQuota` until then (the next `quotaResetTime`). */
  quotaStoppedUntil: T.Number(),
  /** Console: cost (nano-dollars) of the quota day already spent when the admin reset usage. */
  quotaOffsetNanos: T.Number(),
  /** Console: the quota day (its start, epoch ms) that offset belongs to. */
  quotaOffsetDay: T.Number(),
})
export type AccountState = Static<typeof AccountState>

/** The state of an account nothing has happened to yet. */
export function initialAccountState(): AccountState {
  return {
    status: 'active',
    rateLimitedUntil: 0,
    opusRateLimitedUntil: 0,
    overloadedUntil: 0,
    coolingUntil: 0,
    consecutiveErrors: 0,
    lastUsedAt: 0,
    lastError: '',
    lastErrorAt: 0,
    sessionWindowStart: 0,
    sessionWindowEnd: 0,
    sessionWindowStatus: '',
    fiveHourUtilization: 0,
    sevenDayUtilization: 0,
    sessionStoppedUntil: 0,
    sessionWarnings: 0,
    quotaStoppedUntil: 0,
    quotaOffsetNanos: 0,
    quotaOffsetDay: 0,
  }
}

/** A named set of accounts that keys can be bound to. */
export const AccountGroup = T.Object({
  id: T.String(),
  name: T.String({ minLength: 1, maxLength: 100 }),
  platform: T.String({ default: 'claude' }),
  description: T.String({ default: '' }),
  createdAt: T.String(),
  updatedAt: T.String(),
})
export type AccountGroup = Static<typeof AccountGroup>
