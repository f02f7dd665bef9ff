/**
 * @module
 * Schemas of the admin API for accounts: the body fields every account kind shares (read as
 * tolerantly as the seed's UI sends them: numbers as strings, `groupId` or `groupIds`, a proxy
 * as an object or its JSON), each kind's own fields (see `account-kinds.ts`), the Claude OAuth
 * onboarding bodies, and the answers. The stored-shape rules (ranges, URLs, a proxy's fields)
 * stay with the account service, which names the field it refuses.
 */
import type { Static, TProperties, TSchema } from '@sinclair/typebox'
import { t as T } from 'elysia'
import { ClaudeAiOauth } from '../../accounts/onboarding.ts'
import { AccountView } from '../../accounts/views.ts'

/** A proxy as the admin sends it; its fields are checked by the account service. */
export const ProxyBody = T.Object(
  {
    type: T.Optional(T.String({ description: 'http | https | socks5' })),
    host: T.Optional(T.String()),
    port: T.Optional(T.Union([T.Integer(), T.String()])),
    username: T.Optional(T.String()),
    password: T.Optional(T.String({ description: 'sealed with the account, never shown' })),
  },
  { additionalProperties: true },
)

/** A proxy: an object, its JSON, or null (none). */
export const ProxyField = T.Union([ProxyBody, T.String(), T.Null()], {
  error: 'proxy: expected {type, host, port}, its JSON, or null',
})
export type ProxyField = Static<typeof ProxyField>

/** `schema`, or null (read as absent, as the seed's UI may send it). */
const orNull = <S extends TSchema>(schema: S, error: string, description?: string) =>
  T.Optional(T.Union([schema, T.Null()], { error, ...(description ? { description } : {}) }))

/** The body fields every account kind shares (each optional: an edit keeps what it omits). */
export const COMMON_ACCOUNT_FIELDS = {
  name: orNull(T.String(), 'name: expected a string'),
  description: orNull(T.String(), 'description: expected a string'),
  priority: orNull(
    T.Union([T.Number(), T.String()]),
    'priority: expected a number from 1 to 100',
    '1 (first) to 100; a numeric string is read as a number',
  ),
  schedulable: orNull(T.Boolean(), 'schedulable: expected true or false'),
  isActive: orNull(T.Boolean(), 'isActive: expected true or false'),
  accountType: orNull(
    T.Union([T.Literal('shared'), T.Literal('dedicated'), T.Literal('group')]),
    'accountType: expected shared, dedicated or group',
  ),
  groupId: orNull(T.String(), 'groupId: expected a group id', 'one group; groupIds wins'),
  groupIds: T.Optional(T.Array(T.String(), { error: 'groupIds: expected a list of group ids' })),
  supportedModels: T.Optional(
    T.Union([T.Array(T.String()), T.Record(T.String(), T.String())], {
      description: 'allowed models, or a mapping {requested: upstream}; empty = all',
      error: 'supportedModels: expected a list of models or a {requested: upstream} mapping',
    }),
  ),
  userAgent: orNull(T.String(), 'userAgent: expected a string'),
  maxConcurrency: orNull(
    T.Union([T.Number(), T.String()]),
    'maxConcurrency: expected a number',
    'in-flight requests; 0 = unlimited',
  ),
  maxConcurrentTasks: orNull(
    T.Union([T.Number(), T.String()]),
    'maxConcurrentTasks: expected a number',
    'the seed name of maxConcurrency',
  ),
  proxy: T.Optional(ProxyField),
  extInfo: T.Optional(
    T.Union([T.Record(T.String(), T.Unknown()), T.Null()], {
      error: 'extInfo: expected an object or null',
    }),
  ),
}

/** The body of a kind's create and edit: the shared fields and its own (`own`). */
export function accountBody<P extends TProperties>(own: P) {
  return T.Object({ ...COMMON_ACCOUNT_FIELDS, ...own }, { additionalProperties: true })
}

/** The shared body fields as received. */
export type CommonAccountBody = Static<ReturnType<typeof accountBody<Record<never, never>>>>

/** OAuth tokens as the seed's UI sends them (inside `claudeAiOauth` or at the top level). */
const OAUTH_TOKEN_FIELDS = {
  accessToken: T.Optional(T.String()),
  refreshToken: T.Optional(T.String()),
  expiresAt: T.Optional(T.Union([T.Number(), T.String()], { description: 'epoch ms' })),
  scopes: T.Optional(T.Array(T.String())),
}

/** The Claude OAuth account's own fields. */
export const CLAUDE_OAUTH_FIELDS = {
  claudeAiOauth: T.Optional(
    T.Union([T.Object(OAUTH_TOKEN_FIELDS, { additionalProperties: true }), T.Null()], {
      error: 'claudeAiOauth: expected {accessToken, refreshToken, expiresAt, scopes}',
    }),
  ),
  ...OAUTH_TOKEN_FIELDS,
  subscriptionInfo: T.Optional(T.Union([T.Record(T.String(), T.Unknown()), T.Null()])),
  autoStopOnWarning: T.Optional(
    T.Union([T.Boolean(), T.String()], {
      description: 'stop scheduling when the 5-hour window warns, until it ends (kept in options)',
    }),
  ),
  useUnifiedUserAgent: T.Optional(
    T.Union([T.Boolean(), T.String()], { description: 'send the newest Claude Code user agent' }),
  ),
  useUnifiedClientId: T.Optional(
    T.Union([T.Boolean(), T.String()], { description: 'one client id in metadata.user_id' }),
  ),
  unifiedClientId: T.Optional(
    T.String({ description: '64 hex; derived from the account id when empty' }),
  ),
  keepCacheTtl: T.Optional(T.Boolean({ description: 'keep cache_control.ttl (default: removed)' })),
  subscriptionExpiresAt: T.Optional(
    T.Union([T.String(), T.Number(), T.Null()], {
      description: 'when the plan ends (ISO or epoch ms)',
    }),
  ),
}
export const ClaudeOAuthBody = accountBody(CLAUDE_OAUTH_FIELDS)
export type ClaudeOAuthBody = Static<typeof ClaudeOAuthBody>

/** The Claude Console account's own fields. */
export const CLAUDE_CONSOLE_FIELDS = {
  apiUrl: T.Optional(T.String({ description: 'base URL of the Anthropic-compatible API' })),
  apiKey: T.Optional(T.String({ description: 'sealed, never shown' })),
  dailyQuota: T.Optional(
    T.Union([T.Number(), T.String()], {
      description: 'USD per quota day; 0 = none (kept in options)',
    }),
  ),
  quotaResetTime: T.Optional(T.String({ description: 'HH:mm at TIMEZONE_OFFSET (default 00:00)' })),
  rateLimitDuration: T.Optional(
    T.Union([T.Number(), T.String()], {
      description: 'minutes a 429 without a reset time keeps the account out; 0 = default',
    }),
  ),
  subscriptionExpiresAt: T.Optional(
    T.Union([T.String(), T.Number(), T.Null()], {
      description: 'when the plan ends (ISO or epoch ms)',
    }),
  ),
}
export type ClaudeConsoleBody = Static<ReturnType<typeof accountBody<typeof CLAUDE_CONSOLE_FIELDS>>>

/** The start of an onboarding: the proxy its token exchange goes through. */
export const OnboardingStartBody = T.Object({ proxy: T.Optional(ProxyField) })

/**
 * The end of an onboarding: the session, the code (or the whole callback URL), and with
 * `createAccount` the new account's fields.
 */
export const OnboardingExchangeBody = T.Object(
  {
    ...COMMON_ACCOUNT_FIELDS,
    ...CLAUDE_OAUTH_FIELDS,
    sessionId: T.Optional(T.String()),
    authorizationCode: T.Optional(T.String()),
    code: T.Optional(T.String({ description: 'alias of authorizationCode' })),
    callbackUrl: T.Optional(T.String({ description: 'the whole redirect URL, code included' })),
    createAccount: T.Optional(T.Boolean()),
  },
  { additionalProperties: true },
)

/** The account list's query. */
export const AccountListQuery = T.Object({
  groupId: T.Optional(T.String({ description: 'only members of this group' })),
})

/** The account test's body. */
export const AccountTestBody = T.Object(
  { model: T.Optional(T.String({ description: "default: the kind's probe model" })) },
  { additionalProperties: true },
)

/** An onboarding's start: where the admin signs in. */
export const AuthUrl = T.Object({
  authUrl: T.String(),
  sessionId: T.String(),
  expiresAt: T.String(),
  instructions: T.Array(T.String()),
})
export type AuthUrl = Static<typeof AuthUrl>

/** An onboarding's end: the tokens, and the account when one was created. */
export const OnboardingResult = T.Object({
  claudeAiOauth: ClaudeAiOauth,
  account: T.Optional(AccountView),
})

/** The toggle's answer. */
export const Schedulable = T.Object({ id: T.String(), schedulable: T.Boolean() })

/** A group's fields (create: `name` required by the group rules; edit: what it names). */
export const GroupBody = T.Object(
  {
    name: orNull(T.String(), 'name: expected a string'),
    platform: orNull(
      T.String(),
      'platform: expected a string',
      'claude (default), openai, gemini…',
    ),
    description: orNull(T.String(), 'description: expected a string'),
  },
  { additionalProperties: true },
)

/** A group's members, replaced as a whole. */
export const GroupMembersBody = T.Object({
  accountIds: T.Array(T.String(), {
    error: 'Invalid body: accountIds must be an array of account ids',
  }),
})

/** The `:groupId` of a route. */
export const GroupParams = T.Object({ groupId: T.String() })

/** The group list's query. */
export const GroupListQuery = T.Object({
  platform: T.Optional(T.String({ description: 'only groups of this platform' })),
})
