/**
 * @module
 * The admin body fields of the two Gemini account kinds (their mappers: `account-input.ts`):
 * Gemini API accounts (`baseUrl`, `apiKey`) and Google-login accounts (the seed's `geminiOauth`
 * tokens or top-level ones, the Code Assist project and endpoint).
 */
import { t as T } from 'elysia'

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
