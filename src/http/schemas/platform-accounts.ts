/**
 * @module
 * The own body fields of the Bedrock and Droid account kinds (CCR takes the Console's), as the
 * seed's UI sends them; the shared fields are in `accounts.ts`.
 */
import { Type as T } from '@sinclair/typebox'

/** Bedrock's own fields. */
export const BEDROCK_FIELDS = {
  region: T.Optional(T.String({ description: 'AWS region, e.g. us-east-1 (the default)' })),
  endpoint: T.Optional(
    T.String({ description: 'a VPC endpoint or gateway instead of bedrock-runtime.<region>' }),
  ),
  awsCredentials: T.Optional(
    T.Object(
      {
        accessKeyId: T.Optional(T.String()),
        secretAccessKey: T.Optional(T.String({ description: 'sealed, never shown' })),
        sessionToken: T.Optional(T.String({ description: 'sealed, never shown' })),
      },
      { additionalProperties: true },
    ),
  ),
  apiKey: T.Optional(T.String({ description: 'a Bedrock API key instead (sealed)' })),
  defaultModel: T.Optional(
    T.String({ description: 'only for a model name that is no Claude model' }),
  ),
  inferenceProfile: T.Optional(
    T.Union([T.Literal('regional'), T.Literal('global'), T.Literal('none')]),
  ),
}

/** Droid's own fields. */
export const DROID_FIELDS = {
  apiKeys: T.Optional(
    T.Union([T.Array(T.Union([T.String(), T.Object({ key: T.String() })])), T.String()], {
      description: 'Factory API keys (replace the stored ones; sealed)',
    }),
  ),
  apiKey: T.Optional(T.String()),
  accessToken: T.Optional(T.String({ description: 'Factory (WorkOS) token, sealed' })),
  refreshToken: T.Optional(T.String({ description: 'sealed' })),
  organizationId: T.Optional(T.String()),
  endpointType: T.Optional(
    T.Union([T.Literal('anthropic'), T.Literal('openai'), T.Literal('comm')]),
  ),
  apiUrl: T.Optional(T.String({ description: 'instead of https://api.factory.ai/api/llm' })),
}
