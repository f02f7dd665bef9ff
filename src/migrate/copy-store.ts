/**
 * @module
 * Copies everything a relay keeps from one store to another through the repository ports, so any
 * pair works: SQLite → Redis when one machine is outgrown, Redis → Redis Cluster, Redis → SQLite.
 * API keys, accounts with their health state, groups, settings (admin login, webhooks, history
 * settings), the audit log, usage counters with their expiry, and request history. Leases, rate
 * windows and sticky sessions are runtime state and are not copied.
 *
 * Running it again is safe: records are written by id, and a counter is raised to the source's
 * value (by the difference, never added twice, never lowered).
 */

import type { Stores } from '../storage/stores.ts'
import { COUNTER_FIELDS, type CounterIncrement } from '../usage/model.ts'
import type { ProgressSink } from './import.ts'

/** What was copied (or, in a dry run, would be). */
export interface CopyReport {
  dryRun: boolean
  keys: number
  accounts: number
  groups: number
  settings: number
  audit: number
  /** Counters read from the source. */
  counters: number
  /** Of those, counters raised in the target (it held less). */
  countersChanged: number
  history: number
}

/** Options of {@link copyStores}. */
export interface CopyOptions {
  dryRun?: boolean
  progress?: ProgressSink
  /** Records per read and write (default 200). */
  batchSize?: number
}

const noProgress: ProgressSink = { start() {}, tick() {}, done() {} }

/** Copies every durable record of `from` into `to`. */
export async function copyStores(
  from: Stores,
  to: Stores,
  options: CopyOptions = {},
): Promise<CopyReport> {
  const dryRun = options.dryRun === true
  const progress = options.progress ?? noProgress
  const size = Math.max(1, options.batchSize ?? 200)
  const report: CopyReport = {
    dryRun,
    keys: 0,
    accounts: 0,
    groups: 0,
    settings: 0,
    audit: 0,
    counters: 0,
    countersChanged: 0,
    history: 0,
  }

  /** Copies each item of a list with `write` (skipped in a dry run), counting into `field`. */
  const each = async <T>(
    label: string,
    field: 'groups' | 'accounts' | 'keys' | 'settings',
    items: T[],
    write: (item: T) => Promise<boolean>,
  ) => {
    progress.start(label, items.length)
    for (const item of items) {
      if (await write(item)) report[field]++
      progress.tick()
    }
    progress.done()
  }

  // Groups before the accounts and keys that name them.
  await each('groups', 'groups', await from.accounts.listGroups(), async (g) => {
    if (!dryRun) await to.accounts.putGroup(g)
    return true
  })
  const accounts = await from.accounts.list()
  const states = await from.accounts.getStates(accounts.map((a) => a.id))
  await each('accounts', 'accounts', accounts, async (a) => {
    const state = states.get(a.id)
    if (!dryRun) await to.accounts.put(a)
    if (!dryRun && state) await to.accounts.patchState(a.id, state)
    return true
  })
  await each('API keys', 'keys', await from.keys.list(), async (k) => {
    if (!dryRun) await to.keys.put(k)
    return true
  })
  await each('settings', 'settings', await from.settings.names(), async (name) => {
    const value = await from.settings.get(name)
    if (value === null) return false
    if (!dryRun) await to.settings.put(name, value)
    return true
  })

  // Newest first, a page at a time. Pages overlap by one millisecond so entries sharing the
  // boundary's timestamp are not skipped; ids already copied are left out.
  progress.start('audit log', 0)
  const copied = new Set<string>()
  let before: number | undefined
  for (;;) {
    const page = await from.settings.listAudit({ limit: size, before })
    const fresh = page.filter((e) => !copied.has(e.id))
    if (fresh.length === 0) break
    if (!dryRun) await to.settings.appendAudit(fresh)
    for (const e of fresh) copied.add(e.id)
    report.audit += fresh.length
    progress.tick(fresh.length)
    if (page.length < size) break
    before = page.at(-1)!.at + 1
  }
  progress.done()

  progress.start('usage counters', 0)
  for await (const batch of from.usage.exportAll(size)) {
    const current = await to.usage.get(batch)
    const raises: CounterIncrement[] = []
    batch.forEach((c, i) => {
      const values: CounterIncrement['values'] = {}
      let changed = false
      for (const f of COUNTER_FIELDS) {
        // Raised to the source's value, never lowered: a target that has started counting on
        // its own keeps what it counted.
        const delta = c.counters[f] - (current[i]?.[f] ?? 0)
        if (delta > 0) {
          values[f] = delta
          changed = true
        }
      }
      if (!changed) return
      const { counters: _, ...ref } = c
      raises.push({ ...ref, values })
    })
    if (raises.length && !dryRun) await to.usage.increment(raises)
    report.counters += batch.length
    report.countersChanged += raises.length
    progress.tick(batch.length)
  }
  progress.done()

  progress.start('request history', (await from.history.size()).count)
  for await (const batch of from.history.scan({}, size)) {
    if (!dryRun) await to.history.write(batch)
    report.history += batch.length
    progress.tick(batch.length)
  }
  progress.done()
  return report
}
