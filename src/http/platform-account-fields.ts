/**
 * @module
 * The admin body fields of the Bedrock, CCR and Droid account kinds, in the seed's shape, mapped
 * to {@link AccountInput}: settings into `options` (absent ones left out, so an edit keeps them),
 * credentials into sealed secrets.
 */
import type { AccountInput } from '../accounts/service.ts'
import type { Body } from './account-input.ts'

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const obj = (v: unknown): Body | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Body) : undefined

/** `v` without its undefined entries, or undefined when nothing is left. */
function defined<V>(v: Record<string, V | undefined>): Record<string, V> | undefined {
  const out: Record<string, V> = {}
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = x
  return Object.keys(out).length ? out : undefined
}

/**
 * Bedrock: `region`, `defaultModel`, `inferenceProfile`, `endpoint` (a VPC endpoint, a gateway),
 * `awsCredentials {accessKeyId, secretAccessKey, sessionToken?}` or a Bedrock API key (`apiKey`,
 * or the seed's `bearerToken`).
 */
export function bedrockFields(body: Body): AccountInput {
  const aws = obj(body.awsCredentials)
  const apiKey = str(body.apiKey) ?? str(body.bearerToken)
  // One kind of credential at a time: a new one of either kind clears the other.
  const cleared = { awsAccessKeyId: '', awsSecretAccessKey: '', awsSessionToken: '' }
  return {
    apiUrl: str(body.endpoint) ?? str(body.apiUrl),
    apiKey: apiKey ?? (aws ? '' : undefined),
    options: defined({
      region: str(body.region),
      defaultModel: str(body.defaultModel),
      inferenceProfile: str(body.inferenceProfile),
    }),
    secrets: aws
      ? {
          ...cleared,
          ...defined({
            awsAccessKeyId: str(aws.accessKeyId),
            awsSecretAccessKey: str(aws.secretAccessKey),
            awsSessionToken: str(aws.sessionToken),
          }),
        }
      : apiKey
        ? cleared
        : undefined,
  }
}

/** Factory API keys a Droid account holds at most (`apiKey`, `apiKey_1` … `apiKey_19`). */
export const DROID_MAX_KEYS = 20

/** The Factory API keys of a seed body: `apiKeys` as strings, `{key}` objects or lines; or `apiKey`. */
function factoryKeys(body: Body): string[] | undefined {
  const raw = body.apiKeys
  let keys: string[] | undefined
  if (Array.isArray(raw))
    keys = raw.map((k) => (typeof k === 'string' ? k : (str(obj(k)?.key) ?? ''))).filter(Boolean)
  else if (typeof raw === 'string') keys = raw.split(/[\n,]/)
  else if (str(body.apiKey)) keys = [str(body.apiKey)!]
  return keys?.map((k) => k.trim()).filter(Boolean)
}

/**
 * Droid: Factory API keys (`apiKeys`, replacing the stored ones) or OAuth tokens
 * (`accessToken`, `refreshToken`), `endpointType` (`anthropic`, `openai`, `comm`), and an
 * `apiUrl` override of Factory's gateway.
 */
export function droidFields(body: Body): AccountInput {
  const keys = factoryKeys(body)
  const secrets: Record<string, string> = {}
  if (keys) {
    if (keys.length > DROID_MAX_KEYS) keys.length = DROID_MAX_KEYS
    for (let i = 0; i < DROID_MAX_KEYS; i++)
      secrets[i === 0 ? 'apiKey' : `apiKey_${i}`] = keys[i] ?? ''
  }
  return {
    apiUrl: str(body.apiUrl),
    apiKey: keys ? (keys[0] ?? '') : undefined,
    accessToken: str(body.accessToken),
    refreshToken: str(body.refreshToken),
    options: defined({
      endpointType: str(body.endpointType),
      organizationId: str(body.organizationId),
    }),
    secrets: keys ? secrets : undefined,
  }
}
