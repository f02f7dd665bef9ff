/**
 * @module
 * Azure OpenAI accounts: a resource endpoint (`apiUrl`, e.g. `https://x.openai.azure.com`), an
 * `api-key`, an API version and deployments. Chat completions and embeddings go to the
 * deployment of the requested model (`options.deployments` maps model → deployment, else
 * `options.deploymentName`, else the model name itself); Responses go to `/openai/responses`
 * with the deployment as the model. A streamed chat asks for the usage chunk
 * (`stream_options.include_usage`) so streamed tokens are counted.
 *
 * The openai SDK's `AzureOpenAI` client names a deployment in its path
 * (`/openai/deployments/{deployment}/…`, {@link UpstreamCall.target}). An account serves that name
 * when it lists it as a deployment (`deploymentName` or a value of `deployments`: sent as is),
 * maps it as a model (a key of `deployments`: its deployment), or when it is the request's model
 * (the SDK puts the model there when no deployment is set: the account's own deployment for the
 * model). Any other name is served by no account (a 404 `DeploymentNotFound`).
 */
import { upstreamJsonHeaders } from '../../relay/headers.ts'
import type { PlatformAdapter, UpstreamCall, UpstreamRequest } from '../adapter.ts'
import { classifyOpenAI } from './protocol.ts'

/** API version used when the account names none. */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21'
/** The first API version that serves the Responses API. */
export const AZURE_RESPONSES_API_VERSION = '2025-04-01-preview'

/** The model name without the `azure/` prefix clients may add. */
export function azureModel(model: string): string {
  return model.replace(/^azure\//i, '')
}

/** The deployment serving `model` on an account with these options. */
export function deploymentOf(options: Record<string, unknown>, model: string): string {
  const m = azureModel(model)
  const map = options.deployments
  if (map && typeof map === 'object' && !Array.isArray(map)) {
    const d = (map as Record<string, unknown>)[m]
    if (typeof d === 'string' && d) return d
  }
  return typeof options.deploymentName === 'string' && options.deploymentName
    ? options.deploymentName
    : m
}

/**
 * The deployment an account sends a request to whose path named `target` (see the module note),
 * or null when the account does not serve it. `upstreamModel` is the model after the account's
 * mapping.
 */
export function targetDeployment(
  options: Record<string, unknown>,
  target: string,
  model: string,
  upstreamModel = model,
): string | null {
  if (options.deploymentName === target) return target
  const map = options.deployments
  if (map && typeof map === 'object' && !Array.isArray(map)) {
    const deployments = map as Record<string, unknown>
    if (Object.values(deployments).includes(target)) return target
    const mapped = Object.hasOwn(deployments, target) ? deployments[target] : undefined
    if (typeof mapped === 'string' && mapped) return mapped
  }
  const t = azureModel(target)
  if (t === azureModel(model) || t === azureModel(upstreamModel))
    return deploymentOf(options, upstreamModel)
  return null
}

/** The API version for an operation: Responses needs a recent one. */
export function apiVersionOf(options: Record<string, unknown>, operation: string): string {
  const v = typeof options.apiVersion === 'string' && options.apiVersion ? options.apiVersion : ''
  if (operation !== 'responses') return v || AZURE_DEFAULT_API_VERSION
  if (typeof options.responsesApiVersion === 'string' && options.responsesApiVersion)
    return options.responsesApiVersion
  return v >= AZURE_RESPONSES_API_VERSION || v.endsWith('-preview')
    ? v
    : AZURE_RESPONSES_API_VERSION
}

/** The Azure OpenAI adapter. */
export function createAzureOpenAIAdapter(): PlatformAdapter {
  return {
    platform: 'azure-openai',
    family: 'azure',
    dialects: ['openai-chat', 'openai-responses'],
    probeModel: 'gpt-4o',
    async prepare(call: UpstreamCall): Promise<UpstreamRequest> {
      const a = call.entry.account
      const base = a.apiUrl.trim().replace(/\/+$/, '')
      const deployment =
        (call.target !== undefined &&
          targetDeployment(a.options, call.target, call.model, call.upstreamModel)) ||
        deploymentOf(a.options, call.upstreamModel)
      const version = encodeURIComponent(apiVersionOf(a.options, call.operation))
      const headers = upstreamJsonHeaders(call.clientHeaders, ['user-agent'])
      headers.accept = call.stream ? 'text/event-stream' : 'application/json'
      headers['api-key'] = call.entry.secrets.apiKey ?? ''
      if (a.userAgent) headers['user-agent'] = a.userAgent
      const body: Record<string, unknown> = { ...call.body }
      let url: string
      if (call.operation === 'responses') {
        url = `${base}/openai/responses?api-version=${version}`
        body.model = deployment
      } else {
        const path = call.operation === 'embeddings' ? 'embeddings' : 'chat/completions'
        url = `${base}/openai/deployments/${encodeURIComponent(deployment)}/${path}?api-version=${version}`
        body.model = azureModel(call.upstreamModel)
        if (call.operation === 'chat' && call.stream) {
          const so = (body.stream_options ?? {}) as Record<string, unknown>
          if (so.include_usage !== true) body.stream_options = { ...so, include_usage: true }
        }
      }
      return { url, headers, body: JSON.stringify(body) }
    },
    targetOk: (account, target, model) => targetDeployment(account.options, target, model) !== null,
    classify: classifyOpenAI,
  }
}
