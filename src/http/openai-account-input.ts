/**
 * @module
 * The OpenAI family's own account fields in admin bodies, in the seed's names: ChatGPT-login
 * accounts (`openaiOauth` tokens, `accountInfo` from the ID token, an optional backend `baseUrl`),
 * OpenAI-Responses accounts (`baseApi`, `apiKey`) and Azure OpenAI accounts (`azureEndpoint`,
 * `apiVersion`, `deploymentName`, `deployments`, `apiKey`).
 */
import { Type as T, type TProperties } from '@sinclair/typebox'
import type { AccountPlatform } from '../accounts/model.ts'
import type { AccountInput } from '../accounts/service.ts'
import type { Body } from './account-input.ts'

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

function obj(v: unknown): Body | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Body) : undefined
}

/** ChatGPT-login ("Codex") account fields. */
export function openaiOAuthFields(body: Body): AccountInput {
  const oauth = obj(body.openaiOauth) ?? {}
  const info = obj(body.accountInfo)
  const input: AccountInput = {
    accessToken: str(oauth.accessToken) ?? str(oauth.access_token) ?? str(body.accessToken),
    refreshToken: str(oauth.refreshToken) ?? str(oauth.refresh_token) ?? str(body.refreshToken),
    apiUrl: str(body.baseUrl) ?? str(body.apiUrl),
  }
  const idToken = str(oauth.idToken) ?? str(oauth.id_token)
  if (idToken) input.secrets = { idToken }
  const expiresIn = Number(oauth.expires_in ?? oauth.expiresIn)
  if (Number.isFinite(expiresIn) && expiresIn > 0)
    input.tokenExpiresAt = Date.now() + expiresIn * 1000
  else if (body.expiresAt !== undefined) input.tokenExpiresAt = Number(body.expiresAt) || 0
  const options: Record<string, unknown> = {}
  const accountId = str(info?.accountId) ?? str(body.chatgptAccountId)
  if (accountId) options.chatgptAccountId = accountId
  for (const f of ['chatgptUserId', 'organizationId', 'planType', 'email'] as const) {
    const v = str(info?.[f])
    if (v) options[f] = v
  }
  if (Object.keys(options).length) input.options = options
  return input
}

/** OpenAI-Responses account fields: base URL and API key. */
export function openaiResponsesFields(body: Body): AccountInput {
  const base = str(body.baseApi) ?? str(body.apiUrl)
  return { apiUrl: base?.trim().replace(/\/+$/, ''), apiKey: str(body.apiKey) }
}

/** Azure OpenAI account fields: endpoint, API version, deployment(s) and key. */
export function azureOpenAIFields(body: Body): AccountInput {
  const options: Record<string, unknown> = {}
  const version = str(body.apiVersion)
  if (version) options.apiVersion = version
  const deployment = str(body.deploymentName)
  if (deployment) options.deploymentName = deployment
  const deployments = obj(body.deployments)
  if (deployments) options.deployments = deployments
  const endpoint = str(body.azureEndpoint) ?? str(body.apiUrl)
  return {
    apiUrl: endpoint?.trim().replace(/\/+$/, ''),
    apiKey: str(body.apiKey),
    ...(Object.keys(options).length ? { options } : {}),
  }
}

const opt = (description: string) => T.Optional(T.String({ description }))

/** The three OpenAI account kinds: admin path, label, their own body fields and mapper. */
export const OPENAI_ACCOUNT_KINDS: {
  path: string
  platform: AccountPlatform
  label: string
  own: TProperties
  fields: (body: Body) => AccountInput
}[] = [
  {
    path: '/openai-accounts',
    platform: 'openai',
    label: 'OpenAI (ChatGPT)',
    own: {
      openaiOauth: T.Optional(
        T.Object(
          {},
          {
            additionalProperties: true,
            description: 'idToken, accessToken, refreshToken, expires_in (sealed)',
          },
        ),
      ),
      accountInfo: T.Optional(
        T.Object(
          {},
          {
            additionalProperties: true,
            description: 'accountId (sent as chatgpt-account-id), chatgptUserId, planType, email',
          },
        ),
      ),
      baseUrl: opt('ChatGPT backend base URL (default OPENAI_CHATGPT_BASE_URL)'),
    },
    fields: openaiOAuthFields,
  },
  {
    path: '/openai-responses-accounts',
    platform: 'openai-responses',
    label: 'OpenAI-Responses',
    own: {
      baseApi: opt('base URL, e.g. https://api.openai.com/v1'),
      apiKey: opt('sealed, never shown'),
    },
    fields: openaiResponsesFields,
  },
  {
    path: '/azure-openai-accounts',
    platform: 'azure-openai',
    label: 'Azure OpenAI',
    own: {
      azureEndpoint: opt('https://<resource>.openai.azure.com'),
      apiKey: opt('sealed, never shown'),
      apiVersion: opt('e.g. 2024-10-21'),
      deploymentName: opt('deployment of every model not in deployments'),
      deployments: T.Optional(
        T.Record(T.String(), T.String(), { description: 'model → deployment' }),
      ),
    },
    fields: azureOpenAIFields,
  },
]
