/**
 * @module
 * The import ledger: what was imported from one source, kept in our settings so a later run
 * only applies what changed since (counter deltas, changed records). Stored as settings documents
 * `import-crs:<source>` (meta) and `import-crs:<source>:<section>:<shard>` (entries), sharded so
 * a run rewrites only the shards it changed.
 */
import type { SettingsRepository } from '../settings/repository.ts'

/** Ledger sections. */
export type LedgerSection = 'entities' | 'history' | 'counters'

const SECTIONS: LedgerSection[] = ['entities', 'history', 'counters']
const SHARDS = 16

/** Summary of one past run, kept in the meta document. */
export interface LedgerRun {
  at: string
  counts: Record<string, { imported: number; updated: number; unchanged: number; skipped: number }>
}

/** The meta document. */
export interface LedgerMeta {
  version: 1
  source: string
  firstRunAt: string
  lastRunAt: string
  runs: LedgerRun[]
}

function shardOf(id: string): number {
  let h = 2166136261
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i)
    h = Math.imul(h, 16777619)
  }
  return (h >>> 0) % SHARDS
}

/** A loaded ledger. */
export interface Ledger {
  meta: LedgerMeta | null
  get<T>(section: LedgerSection, id: string): T | undefined
  set(section: LedgerSection, id: string, value: unknown): void
  /** Forgets one entry. */
  delete(section: LedgerSection, id: string): void
  /** Every entry of a section. */
  entries<T>(section: LedgerSection): [string, T][]
  /** Writes changed shards and the meta document. */
  save(run: LedgerRun): Promise<void>
}

/** Loads the ledger of `source` (empty when this source was never imported). */
export async function loadLedger(settings: SettingsRepository, source: string): Promise<Ledger> {
  const base = `import-crs:${source}`
  const meta = (await settings.get(base)) as LedgerMeta | null
  const shards = new Map<string, Record<string, unknown>>()
  const dirty = new Set<string>()
  const name = (s: LedgerSection, i: number) => `${base}:${s}:${i}`
  const names = SECTIONS.flatMap((s) => Array.from({ length: SHARDS }, (_, i) => name(s, i)))
  const docs = await Promise.all(names.map((n) => settings.get(n)))
  names.forEach((n, i) => {
    const d = docs[i]
    if (d && typeof d === 'object') shards.set(n, d as Record<string, unknown>)
  })
  const shard = (s: LedgerSection, id: string) => name(s, shardOf(id))
  const ledger: Ledger = {
    meta,
    get<T>(section: LedgerSection, id: string): T | undefined {
      return shards.get(shard(section, id))?.[id] as T | undefined
    },
    set(section, id, value) {
      const n = shard(section, id)
      let doc = shards.get(n)
      if (!doc) {
        doc = {}
        shards.set(n, doc)
      }
      doc[id] = value
      dirty.add(n)
    },
    delete(section, id) {
      const n = shard(section, id)
      const doc = shards.get(n)
      if (!doc || !Object.hasOwn(doc, id)) return
      delete doc[id]
      dirty.add(n)
    },
    entries<T>(section: LedgerSection): [string, T][] {
      const out: [string, T][] = []
      for (let i = 0; i < SHARDS; i++)
        for (const [id, v] of Object.entries(shards.get(name(section, i)) ?? {}))
          out.push([id, v as T])
      return out
    },
    async save(run) {
      for (const n of dirty) await settings.put(n, shards.get(n) ?? {})
      dirty.clear()
      const now = run.at
      const next: LedgerMeta = {
        version: 1,
        source,
        firstRunAt: meta?.firstRunAt ?? now,
        lastRunAt: now,
        runs: [...(meta?.runs ?? []), run].slice(-20),
      }
      await settings.put(base, next)
      ledger.meta = next
    },
  }
  return ledger
}
