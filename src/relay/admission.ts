/**
 * @module
 * Whether a key may make a request, before any upstream work: its permission for the route's
 * family, its model and client lists (in memory), then one storage round trip for its limits
 * (concurrency lease, rate window, cost caps) together with the sticky-session lookup.
 */
import type { Config } from '../config/schema.ts'
import {
  PermissionError,
  RateLimitError,
  type RelayError,
  ServiceUnavailableError,
} from '../core/errors.ts'
import type { Logger } from '../core/ports.ts'
import type { ApiKey } from '../keys/model.ts'
import { keyAllowsModel } from '../keys/model-rules.ts'
import type { AdmitResult, LimitsRepository } from '../limits/repository.ts'
import type { Family } from '../platforms/adapter.ts'
import { costCapsOf } from '../usage/cost-caps.ts'

/** Client user agents a key's client list can name. */
const CLIENT_RE: Record<string, RegExp> = {
  claude_code: /^claude-cli\/\d+\.\d+\.\d+/i,
  gemini_cli: /^GeminiCLI(-[\w-]+)?\/v?\d+/i,
  codex_cli: /^(codex_vscode|codex_cli_rs)\/\d+/i,
  droid_cli: /^factory-cli\/\d+/i,
}

const FAMILY_TITLE: Record<string, string> = {
  claude: 'Claude',
  openai: 'OpenAI',
  azure: 'Azure OpenAI',
  gemini: 'Gemini',
  droid: 'Droid',
  ccr: 'CCR',
}

/** The key's own rules for a request (no storage): throws the error that refuses it. */
export function checkKeyRules(
  key: ApiKey,
  request: { family: Family; model: string; userAgent: string; checkClient: boolean },
): void {
  const { family, model, userAgent } = request
  if (key.permissions !== 'all' && key.permissions !== family.permission) {
    throw new PermissionError(
      `This API key is not allowed to use ${FAMILY_TITLE[family.name] ?? family.name} (permissions: ${key.permissions})`,
    )
  }
  if (!keyAllowsModel(key, model))
    throw new PermissionError(`This API key may not use model "${model}"`)
  if (request.checkClient && key.enableClientRestriction && key.allowedClients.length > 0) {
    const ok = key.allowedClients.some((c) => CLIENT_RE[c]?.test(userAgent))
    if (!ok)
      throw new PermissionError(
        `Client not allowed: this API key only accepts ${key.allowedClients.join(', ')}`,
        { details: { allowed_clients: key.allowedClients } },
      )
  }
}

const REJECTION_TEXT: Record<string, string> = {
  concurrency: 'Concurrency limit exceeded',
  'window-requests': 'Rate limit exceeded: too many requests in the current window',
  'window-tokens': 'Rate limit exceeded: token limit of the current window reached',
  'window-cost': 'Rate limit exceeded: cost limit of the current window reached',
  daily: 'Daily cost limit exceeded',
  total: 'Total cost limit exceeded',
  'weekly-opus': 'Weekly Opus cost limit exceeded',
}

/** The error a rejected admission turns into. */
export function rejectionError(r: Extract<AdmitResult, { ok: false }>, now: number): RelayError {
  const money =
    r.reason === 'daily' ||
    r.reason === 'total' ||
    r.reason === 'weekly-opus' ||
    r.reason === 'window-cost'
  const show = (v: number) => (money ? v / 1e9 : v)
  const details: Record<string, unknown> = {
    limit_type: r.reason,
    limit: show(r.limit),
    current: show(r.current),
    reset_at: r.resetAt ? new Date(r.resetAt).toISOString() : null,
  }
  const message = `${REJECTION_TEXT[r.reason] ?? 'Limit exceeded'} (limit ${show(r.limit)}, current ${show(r.current)}${r.resetAt ? `, resets at ${new Date(r.resetAt).toISOString()}` : ''})`
  if (r.reason === 'total') return new RateLimitError(message, { details })
  const retryAfter = r.resetAt ? Math.max(1, Math.ceil((r.resetAt - now) / 1000)) : 1
  return new RateLimitError(message, { retryAfter, details })
}

/** What admission needs. */
export interface AdmissionDeps {
  config: Pick<Config, 'CONCURRENCY_LEASE_MS' | 'TIMEZONE_OFFSET'>
  limits: LimitsRepository
  logger: Logger
}

/**
 * The one storage round trip before a request goes upstream: concurrency lease (when `leased`),
 * rate window, cost caps and the sticky-session lookup, atomically.
 * @throws RateLimitError when a limit refuses, ServiceUnavailableError when storage cannot answer
 */
export async function admit(
  deps: AdmissionDeps,
  request: {
    key: ApiKey
    requestId: string
    model: string
    now: number
    leased: boolean
    sessionHash: string | null
  },
): Promise<Extract<AdmitResult, { ok: true }>> {
  const { key, requestId, now } = request
  const { config, limits } = deps
  const lease = request.leased && key.concurrencyLimit > 0
  const windowOn =
    key.rateLimitWindow > 0 &&
    (key.rateLimitRequests > 0 || key.tokenLimit > 0 || key.rateLimitCost > 0)
  let result: AdmitResult
  try {
    result = await limits.admit({
      keyId: key.id,
      leaseId: requestId,
      now,
      concurrency: lease
        ? { limit: key.concurrencyLimit, leaseMs: config.CONCURRENCY_LEASE_MS }
        : undefined,
      window: windowOn
        ? {
            lengthMs: key.rateLimitWindow * 60_000,
            maxRequests: key.rateLimitRequests,
            maxTokens: key.tokenLimit,
            maxCostNanos: Math.round(key.rateLimitCost * 1e9),
          }
        : undefined,
      costCaps: costCapsOf(key, request.model, now, config.TIMEZONE_OFFSET),
      sessionHash: request.sessionHash ?? undefined,
    })
  } catch (err) {
    deps.logger.error('admission failed: storage unavailable', { requestId, error: err })
    // The script may have taken the lease before its reply was lost: give it back (a failed
    // release is retried until storage answers), or the key's slot stays held until it expires.
    if (lease) void limits.release(key.id, requestId).catch(() => {})
    throw new ServiceUnavailableError('Storage is unavailable; try again shortly', {
      retryAfter: 2,
    })
  }
  if (!result.ok) throw rejectionError(result, now)
  return result
}
