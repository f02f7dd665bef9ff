/**
 * @module
 * Storage port for named JSON settings (admin credentials, history capture, webhooks…) and the
 * audit log.
 */

/** One audit log entry. */
export interface AuditEntry {
  id: string
  at: number
  actor: string
  action: string
  target: string
  ip: string
  before: unknown
  after: unknown
}

/** Persistence of settings documents and audit entries. */
export interface SettingsRepository {
  get(name: string): Promise<unknown | null>
  put(name: string, value: unknown): Promise<void>
  delete(name: string): Promise<void>
  /** Names of every stored setting, sorted. */
  names(): Promise<string[]>
  /** Appends audit entries. */
  appendAudit(entries: AuditEntry[]): Promise<void>
  /** Newest first; `before` (epoch ms, exclusive) pages backwards. */
  listAudit(options: {
    limit: number
    before?: number
    actor?: string
    action?: string
  }): Promise<AuditEntry[]>
  /** Deletes audit entries older than `ts`; returns how many. */
  pruneAudit(ts: number): Promise<number>
}
