/**
 * @module
 * The audit log as the admin reads it: a page of entries newest first, filtered by actor and
 * action, optionally without sign-ins (skipped page by page so a page stays full), each with the
 * name of its target (the key, account or group as it is named now, else as the entry recorded).
 */
import { type Static, Type as T } from '@sinclair/typebox'
import type { AccountService } from '../accounts/service.ts'
import type { KeyService } from '../keys/service.ts'
import type { AuditLog } from './audit.ts'

/** What an audit page needs. */
export interface AuditPageDeps {
  audit: AuditLog
  keys: KeyService
  accounts: AccountService
}

/** What the admin asks for (as the query sends it). */
export interface AuditQuery {
  limit?: string
  /** Epoch ms or an ISO time: entries before it. */
  before?: string
  actor?: string
  action?: string
  /** `true` or `1`: without sign-ins, sign-outs and token refreshes. */
  hideSignIns?: string
}

/** One entry with its target's name. */
export const AuditEntryView = T.Object({
  id: T.String(),
  at: T.Number(),
  actor: T.String(),
  action: T.String(),
  target: T.String(),
  targetName: T.String({ description: "the target's name ('' when unknown)" }),
  ip: T.String(),
  before: T.Unknown(),
  after: T.Unknown(),
})
export type AuditEntryView = Static<typeof AuditEntryView>

/** A page of the audit log; `nextBefore` continues it (null: the end). */
export const AuditPage = T.Object({
  entries: T.Array(AuditEntryView),
  nextBefore: T.Union([T.Number(), T.Null()]),
})
export type AuditPage = Static<typeof AuditPage>

/** Audit actions of signing in and out, hidden on request. */
const SIGN_IN_ACTIONS = new Set(['auth.login', 'auth.login_failed', 'auth.logout', 'auth.refresh'])

/** A display name of an audit entry's target: its name now, else the name the entry recorded. */
function nameOf(
  e: { target: string; before: unknown; after: unknown },
  names: Map<string, string>,
): string {
  const recorded = (v: unknown) =>
    v && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string'
      ? (v as { name: string }).name
      : ''
  return names.get(e.target) ?? (recorded(e.after) || recorded(e.before))
}

/** Names of every key, account and group by id. */
async function targetNames(deps: AuditPageDeps): Promise<Map<string, string>> {
  const [keyList, entries, groups] = await Promise.all([
    deps.keys.list(),
    deps.accounts.snapshot(),
    deps.accounts.listGroups(),
  ])
  const names = new Map<string, string>()
  for (const k of keyList) names.set(k.id, k.name)
  for (const e of entries) names.set(e.account.id, e.account.name)
  for (const g of groups) names.set(g.id, g.name)
  return names
}

/** A page of the audit log for `query`. */
export async function auditPage(deps: AuditPageDeps, query: AuditQuery): Promise<AuditPage> {
  const limit = Math.min(500, Math.max(1, Number(query.limit ?? 100)))
  const before = query.before ? Number(query.before) || Date.parse(query.before) : undefined
  const filter = { actor: query.actor || undefined, action: query.action || undefined }
  const hide = query.hideSignIns === 'true' || query.hideSignIns === '1'
  // Sign-ins are skipped page by page (at most 20 pages), so a page stays full.
  const entries: Awaited<ReturnType<AuditLog['list']>> = []
  let cursor = before
  let more = true
  for (let round = 0; round < 20 && entries.length < limit && more; round++) {
    const page = await deps.audit.list({ limit, before: cursor, ...filter })
    more = page.length === limit
    for (const e of page)
      if (!(hide && SIGN_IN_ACTIONS.has(e.action)) && entries.length < limit) entries.push(e)
    cursor = page.at(-1)?.at
    if (!hide) break
  }
  const names = await targetNames(deps)
  return {
    entries: entries.map((e) => ({ ...e, targetName: nameOf(e, names) })),
    nextBefore: entries.length === limit ? entries.at(-1)!.at : more ? (cursor ?? null) : null,
  }
}
