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
  return {
    apiUrl: str(body.endpoint) ?? str(body.apiUrl),
    apiKey: str(body.apiKey) ?? str(body.bearerToken),
    options: defined({
      region: str(body.region),
      defaultModel: str(body.defaultModel),
      inferenceProfile: str(body.inferenceProfile),
    }),
    secrets: aws
      ? defined({
          awsAccessKeyId: str(aws.accessKeyId),
          awsSecretAccessKey: str(aws.secretAccessKey),
          awsSessionToken: str(aws.sessionToken),
        })
      : undefined,
  }
}
