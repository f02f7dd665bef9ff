/**
 * @module
 * Claude model names as Bedrock knows them. The client's model is honoured: a plain Claude name
 * (`claude-sonnet-4-5`, `claude-sonnet-4-5-20250929`, `claude-opus-4-0`) becomes its Bedrock model
 * id, behind the account's inference profile (`regional`: `us.`/`eu.`/`apac.` by the account's
 * region, `global.`, or `none` for the bare id); a Bedrock id or ARN passes unchanged. The
 * account's own mapping (`supportedModels` as `{requested: id}`) is applied before this, so an
 * admin can name an application inference profile for any model. `defaultModel` only stands in
 * for a name that is not a Claude model at all.
 */

/** Bedrock model ids of the dated Claude models (the undated newer ones follow the name). */
const BEDROCK_IDS: Record<string, string> = {
  'claude-opus-4-5': 'anthropic.claude-opus-4-5-20251101-v1:0',
  'claude-haiku-4-5': 'anthropic.claude-haiku-4-5-20251001-v1:0',
  'claude-sonnet-4-5': 'anthropic.claude-sonnet-4-5-20250929-v1:0',
  'claude-opus-4-1': 'anthropic.claude-opus-4-1-20250805-v1:0',
  'claude-opus-4': 'anthropic.claude-opus-4-20250514-v1:0',
  'claude-sonnet-4': 'anthropic.claude-sonnet-4-20250514-v1:0',
  'claude-3-7-sonnet': 'anthropic.claude-3-7-sonnet-20250219-v1:0',
  'claude-3-5-sonnet': 'anthropic.claude-3-5-sonnet-20241022-v2:0',
  'claude-3-5-haiku': 'anthropic.claude-3-5-haiku-20241022-v1:0',
  'claude-3-haiku': 'anthropic.claude-3-haiku-20240307-v1:0',
  'claude-opus-4-6': 'anthropic.claude-opus-4-6-v1',
  'claude-sonnet-4-6': 'anthropic.claude-sonnet-4-6-v1',
}

/** How an account reaches a model: through a geographic or global inference profile, or directly. */
export type InferenceProfile = 'regional' | 'global' | 'none'

/** The inference-profile prefix of a region (`us-east-1` → `us`, `eu-west-3` → `eu`). */
export function geoOf(region: string): string {
  if (region.startsWith('us-gov-')) return 'us-gov'
  if (region.startsWith('eu-')) return 'eu'
  if (region.startsWith('ap-')) return 'apac'
  return 'us'
}

/** True for a name Bedrock takes as it is: a model id (`anthropic.…`, `us.anthropic.…`) or an ARN. */
export function isBedrockId(model: string): boolean {
  return model.startsWith('arn:') || /^([a-z-]+\.)?anthropic\./.test(model)
}

/** The Claude family name of a model (`claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`), or null. */
export function claudeBaseName(model: string): string | null {
  const m = model
    .toLowerCase()
    .trim()
    .replace(/\[1m\]$/, '')
    .replace(/-\d{8}$/, '')
    .replace(/-latest$/, '')
    .replace(/-0$/, '')
  return /^claude-[a-z0-9.-]+$/.test(m) ? m : null
}

/** True when Bedrock accounts take `model` (a Claude name or a Bedrock id). */
export function bedrockServes(model: string, defaultModel: string): boolean {
  return isBedrockId(model) || claudeBaseName(model) !== null || defaultModel !== ''
}

/** The model id to invoke for `model` on an account of `region`. */
export function bedrockModelId(
  model: string,
  options: { region: string; inferenceProfile: InferenceProfile; defaultModel: string },
): string {
  if (isBedrockId(model)) return model
  const base = claudeBaseName(model)
  if (!base)
    return options.defaultModel
      ? bedrockModelId(options.defaultModel, { ...options, defaultModel: '' })
      : model
  const id = BEDROCK_IDS[base] ?? `anthropic.${base}`
  if (options.inferenceProfile === 'none') return id
  if (options.inferenceProfile === 'global') return `global.${id}`
  return `${geoOf(options.region)}.${id}`
}

/** A model id without its inference-profile prefix (what CountTokens takes). */
export function foundationModelId(id: string): string {
  return id.replace(/^[a-z-]+\.(anthropic\.)/, '$1')
}
