/**
 * @module
 * How a history record reads, wherever it is listed (admin history, the key holder's page, the
 * detail panel): outcome badge, the endpoint (Messages, count_tokens, OpenAI chat) with its
 * platform, streaming, and what the failover trail says when it is empty.
 */
import { html, type TemplateResult } from 'lit'
import type { HistoryRecord, HistorySummary, Outcome } from '../api/types.ts'
import { getLocale, type MessageKey, t } from '../i18n/i18n.ts'
import { fmtTime } from './format.ts'
import { icon } from './icons.ts'

/** Badge class of an outcome. */
export const OUTCOME_BADGE: Record<Outcome, string> = {
  success: 'ok',
  error: 'bad',
  aborted: 'warn',
  rejected: 'warn',
}

/** Platforms by the first segment of the client route (others are the Claude routes). */
const PLATFORMS: Record<string, string> = {
  openai: 'OpenAI',
  azure: 'Azure OpenAI',
  gemini: 'Gemini',
  droid: 'Droid',
  bedrock: 'Bedrock',
}

/** The name of an account platform (`claude-console` → "Claude Console"); unknown ones as they are. */
export function platformName(platform: string): string {
  const key = `acc.platform.${platform}` as MessageKey
  const name = t(key)
  return name === key ? platform : name
}

/** What kind of call an endpoint path is, and through which client API it came. */
export function endpointOf(path: string): { kind: MessageKey; platform: string } {
  const p = path.toLowerCase()
  const platform = PLATFORMS[p.split('/')[1] ?? ''] ?? 'Claude'
  if (p.endsWith('/count_tokens') || p.endsWith(':counttokens'))
    return { kind: 'hist.endpoint.countTokens', platform }
  if (p.includes('chat/completions')) return { kind: 'hist.endpoint.chat', platform }
  if (p.includes('/responses')) return { kind: 'hist.endpoint.responses', platform }
  if (p.endsWith('/embeddings') || p.endsWith('embedcontent') || p.endsWith(':batchembedcontents'))
    return { kind: 'hist.endpoint.embeddings', platform }
  if (p.endsWith('generatecontent')) return { kind: 'hist.endpoint.generate', platform }
  if (p.endsWith('/completions')) return { kind: 'hist.endpoint.completions', platform }
  return { kind: 'hist.endpoint.messages', platform }
}

/** The endpoint cell: kind and platform, the exact path on hover. */
export function endpointCell(r: Pick<HistorySummary, 'endpoint'>): TemplateResult {
  const e = endpointOf(r.endpoint)
  return html`<span class="small" title=${r.endpoint}>${t(e.kind)} <span class="muted">· ${e.platform}</span></span>`
}

/** A moment in a table: date (the year only when not this year) and time; the time alone on a phone. */
export function timeCell(at: number): TemplateResult {
  const d = new Date(at)
  const date = d.toLocaleDateString(getLocale(), {
    month: '2-digit',
    day: '2-digit',
    ...(d.getFullYear() === new Date().getFullYear() ? {} : { year: 'numeric' }),
  })
  return html`<span class="small" title=${d.toISOString()}><span class="date-part">${date} </span>${fmtTime(at)}</span>`
}

/** The streaming cell: an icon named "stream" (the word itself with `words`), or a dash. */
export function streamCell(r: Pick<HistorySummary, 'stream'>, words = false): TemplateResult {
  if (!r.stream) return html`<span class="muted small">${t('hist.streamNo')}</span>`
  return words
    ? html`<span class="small nowrap">${icon('stream')} ${t('hist.streamYes')}</span>`
    : html`<span class="small" title=${t('hist.streamYes')}>${icon('stream', t('hist.streamYes'))}</span>`
}

/** The outcome cell: badge with the HTTP status, and the number of tries when several. */
export function outcomeCell(
  r: Pick<HistorySummary, 'outcome' | 'status' | 'tries'>,
): TemplateResult {
  return html`<span class="badge ${OUTCOME_BADGE[r.outcome]}">${t(`hist.outcome.${r.outcome}` as MessageKey)} ${r.status || ''}</span>${
    r.tries > 1
      ? html` <span class="badge warn" title=${t('hist.attempts')}>×${r.tries}</span>`
      : ''
  }`
}

/** What an empty failover trail means for this record. */
export function noAttemptsText(
  r: Pick<HistoryRecord, 'outcome' | 'accountId' | 'accountName'>,
): string {
  if (r.outcome === 'rejected') return t('hist.noAttempts.rejected')
  if (!r.accountId) return t('hist.noAttempts.noAccount')
  if (r.outcome === 'success')
    return t('hist.noAttempts.first', { name: r.accountName || r.accountId })
  return t('hist.noAttempts.firstFailed', { name: r.accountName || r.accountId })
}
