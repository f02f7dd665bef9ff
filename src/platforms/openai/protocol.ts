/**
 * @module
 * What OpenAI upstreams expect beyond the body, and what their answers say about the account:
 * the client headers that may be forwarded (Codex CLI identity, session, betas), where the
 * Responses endpoints live under an account's base URL, and when a rate limit ends (OpenAI's
 * `x-ratelimit-reset-*` durations, `retry-after`, the Codex `resets_in_seconds` of a 429 body and
 * the `x-codex-*` usage windows).
 */
import type { AttemptResult } from '../../accounts/health.ts'
import { STAINLESS_RUNTIME_HEADERS } from '../../relay/headers.ts'
import type { UpstreamRefusal } from '../adapter.ts'

/** Client headers that may reach an OpenAI upstream (lower case). */
export const OPENAI_FORWARD_HEADERS = [
  'accept',
  'user-agent',
  'openai-beta',
  'openai-organization',
  'openai-project',
  'originator',
  'version',
  'session_id',
  'session-id',
  'thread-id',
  'x-client-request-id',
  'x-codex-beta-features',
  'x-codex-turn-metadata',
  'x-codex-window-id',
  ...STAINLESS_RUNTIME_HEADERS,
  'x-stainless-retry-count',
] as const

/**
 * The Responses URL under a base URL: the base itself when it already ends in `/responses`, else
 * `<base>/responses` when it ends in a version (`…/v1`), else `<base>/v1/responses`;
 * `/compact` added for a compact request.
 */
export function responsesUrl(base: string, compact: boolean): string {
  let b = base.trim().replace(/\/+$/, '')
  if (!/\/responses$/.test(b)) b = /\/v\d+[a-z]*$/i.test(b) ? `${b}/responses` : `${b}/v1/responses`
  return compact ? `${b}/compact` : b
}

/** The Codex Responses URL of the ChatGPT backend at `base`. */
export function codexUrl(base: string, compact: boolean): string {
  let b = base.trim().replace(/\/+$/, '')
  if (!b.endsWith('/backend-api/codex')) b = `${b}/backend-api/codex`
  return `${b}/responses${compact ? '/compact' : ''}`
}

/** Milliseconds of an OpenAI reset duration (`20ms`, `1s`, `6m0s`, `1h2m3.5s`), or null. */
export function durationMs(text: string | null): number | null {
  if (!text) return null
  const t = text.trim()
  if (/^\d+(\.\d+)?$/.test(t)) return Math.ceil(Number(t) * 1000)
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g
  let total = 0
  let matched = ''
  for (let m = re.exec(t); m; m = re.exec(t)) {
    matched += m[0]
    const n = Number(m[1])
    total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000
  }
  return matched === t && matched ? Math.ceil(total) : null
}

/** Seconds until a Codex / OpenAI 429 ends, read from its body (`resets_in_seconds`), or null. */
export function resetsInSeconds(body: Uint8Array | undefined): number | null {
  if (!body || body.byteLength === 0) return null
  const text = new TextDecoder().decode(body)
  const line = /^data:\s*(.+)$/m.exec(text)?.[1] ?? text
  try {
    const j = JSON.parse(line) as { error?: Record<string, unknown> }
    const e = j.error ?? {}
    const v = Number(e.resets_in_seconds ?? e.resets_in)
    if (Number.isFinite(v) && v > 0) return v
    const at = Number(e.resets_at)
    if (Number.isFinite(at) && at > 0) return Math.max(1, at - Date.now() / 1000)
  } catch {
    // not JSON
  }
  return null
}

/**
 * Seconds until the Codex usage windows of a 429 let requests through again, or null without
 * them: the latest reset among the windows that are spent (used ≥ 100%), else the earliest reset
 * (a weekly window spent while the 5-hour one is not keeps the account out for the week).
 */
export function codexResetSeconds(headers: Headers): number | null {
  const spent: number[] = []
  const all: number[] = []
  for (const name of ['primary', 'secondary']) {
    const reset = Number(headers.get(`x-codex-${name}-reset-after-seconds`) ?? Number.NaN)
    if (!Number.isFinite(reset) || reset <= 0) continue
    all.push(reset)
    if (Number(headers.get(`x-codex-${name}-used-percent`)) >= 100) spent.push(reset)
  }
  if (spent.length) return Math.max(...spent)
  return all.length ? Math.min(...all) : null
}

/**
 * The health effect of an OpenAI refusal: a 429 carries its reset time as `retry-after` (from
 * `retry-after`, the body's `resets_in_seconds`, the Codex window reset or the longest
 * `x-ratelimit-reset-*`), so the account comes back by itself when the limit ends.
 */
export function classifyOpenAI(refusal: UpstreamRefusal): AttemptResult {
  const { status, headers, message, model } = refusal
  if (status !== 429 || headers.has('retry-after'))
    return { kind: 'http', status, headers, message, model }
  let seconds = resetsInSeconds(refusal.body) ?? codexResetSeconds(headers)
  if (seconds === null) {
    const fromHeaders = [
      durationMs(headers.get('x-ratelimit-reset-requests')),
      durationMs(headers.get('x-ratelimit-reset-tokens')),
    ].filter((n): n is number => n !== null)
    if (fromHeaders.length) seconds = Math.max(...fromHeaders) / 1000
  }
  if (seconds === null) return { kind: 'http', status, headers, message, model }
  const h = new Headers(headers)
  h.set('retry-after', String(Math.max(1, Math.ceil(seconds))))
  return { kind: 'http', status, headers: h, message, model }
}

/** One Codex usage window as the upstream reports it in `x-codex-<name>-*` headers. */
export interface CodexWindow {
  usedPercent: number
  windowMinutes: number | null
  resetAfterSeconds: number | null
  /** When the window resets (epoch ms). */
  resetAt: number | null
}

/** The Codex usage snapshot of an account (primary and secondary windows). */
export interface CodexUsage {
  updatedAt: number
  primary: CodexWindow | null
  secondary: CodexWindow | null
  primaryOverSecondaryPercent: number | null
}

/** The Codex usage windows in an answer's headers, or null when it has none. */
export function codexUsageOf(headers: Headers, now: number): CodexUsage | null {
  const num = (name: string) => {
    const v = headers.get(name)
    if (v === null || v.trim() === '') return null
    const n = Number(v)
    return Number.isFinite(n) ? n : null
  }
  const win = (name: string): CodexWindow | null => {
    const used = num(`x-codex-${name}-used-percent`)
    if (used === null) return null
    const reset = num(`x-codex-${name}-reset-after-seconds`)
    return {
      usedPercent: used,
      windowMinutes: num(`x-codex-${name}-window-minutes`),
      resetAfterSeconds: reset,
      resetAt: reset === null ? null : now + reset * 1000,
    }
  }
  const primary = win('primary')
  const secondary = win('secondary')
  if (!primary && !secondary) return null
  return {
    updatedAt: now,
    primary,
    secondary,
    primaryOverSecondaryPercent: num('x-codex-primary-over-secondary-limit-percent'),
  }
}
