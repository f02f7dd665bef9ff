/**
 * @module
 * The admin body fields of the two Gemini account kinds (their mappers: `account-input.ts`):
 * Gemini API accounts (`baseUrl`, `apiKey`) and Google-login accounts (the seed's `geminiOauth`
 * tokens or top-level ones, the Code Assist project and endpoint).
 */
import { t as T } from 'elysia'
import { ProxyField } from './accounts.ts'

/** The Gemini API account's own fields. */
export const GEMINI_API_FIELDS = {
  baseUrl: T.Optional(
    T.String({ description: 'base URL of the Generative Language API; empty: Google' }),
  ),
  apiUrl: T.Optional(T.String({ description: 'alias of baseUrl' })),
  apiKey: T.Optional(T.String({ description: 'sealed, never shown' })),
}

/** Google OAuth tokens as the seed's UI sends them. */
const GEMINI_TOKENS = T.Object(
  {
    access_token: T.Optional(T.String()),
    refresh_token: T.Optional(T.String()),
    scope: T.Optional(T.String()),
    token_type: T.Optional(T.String()),
    expiry_date: T.Optional(T.Union([T.Number(), T.String()], { description: 'epoch ms' })),
  },
  { additionalProperties: true },
)

/** The Google-login account's own fields. */
export const GEMINI_OAUTH_FIELDS = {
  geminiOauth: T.Optional(
    T.Union([GEMINI_TOKENS, T.String(), T.Null()], {
      error: 'geminiOauth: expected {access_token, refresh_token, expiry_date} or its JSON',
    }),
  ),
  accessToken: T.Optional(T.String()),
  refreshToken: T.Optional(T.String()),
  expiryDate: T.Optional(T.Union([T.Number(), T.String()], { description: 'epoch ms or ISO' })),
  projectId: T.Optional(
    T.String({ description: 'Google Cloud project; empty: found with loadCodeAssist' }),
  ),
  codeAssistEndpoint: T.Optional(
    T.String({ description: 'Code Assist API base; empty: GEMINI_CODE_ASSIST_URL' }),
  ),
}

/** The start of a Google onboarding: the proxy its code exchange goes through. */
export const GeminiOnboardingStartBody = T.Object(
  { proxy: T.Optional(ProxyField) },
  { additionalProperties: true },
)

/** The end of a Google onboarding: the session and the code (or the page URL holding it). */
export const GeminiExchangeBody = T.Object(
  {
    sessionId: T.Optional(T.String()),
    code: T.Optional(T.String()),
    authorizationCode: T.Optional(T.String({ description: 'alias of code' })),
    callbackUrl: T.Optional(T.String({ description: 'the URL of the page showing the code' })),
    proxy: T.Optional(ProxyField),
  },
  { additionalProperties: true },
)

/** The tokens of an exchange, as the seed answered them (saved with POST /gemini-accounts). */
export const GeminiTokens = T.Object({
  tokens: T.Object({
    access_token: T.String(),
    refresh_token: T.String(),
    scope: T.String(),
    token_type: T.String(),
    expiry_date: T.Number(),
  }),
})
