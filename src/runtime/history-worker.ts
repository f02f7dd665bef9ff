/**
 * @module
 * Entry point of the history writer thread (started by `history-writer.ts`). It opens its own
 * connection to the relay's storage — the same SQLite file (WAL lets it write while the main
 * thread reads) or the same Redis — and, for each batch it is sent, builds the records
 * (assembly, caps, redaction) and stores them, then answers with the batch id and an error
 * message when the write failed.
 */
import type { HistoryRepository } from '../history/repository.ts'
import { recordsOf } from '../history/writer.ts'
import { openBunSqlite } from './bun.ts'
import type { WorkerReply, WorkerRequest } from './history-writer.ts'

declare const self: {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null
  postMessage(message: WorkerReply): void
  close(): void
}

let repo: HistoryRepository | null = null
let close: () => Promise<void> = async () => {}
const reply = (m: WorkerReply) => self.postMessage(m)
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err))

async function open(spec: Extract<WorkerRequest, { type: 'init' }>['storage']): Promise<void> {
  if (spec.kind === 'sqlite') {
    const db = openBunSqlite(spec.path)
    const { createSqliteHistoryRepo } = await import('../storage/sqlite/history-repo.ts')
    repo = createSqliteHistoryRepo(db)
    close = async () => db.close()
    return
  }
  const { createRedisClient } = await import('../storage/redis/client.ts')
  const { createRedisKeys } = await import('../storage/redis/keys.ts')
  const { createHistoryRepo } = await import('../storage/redis/history-repo.ts')
  const client = createRedisClient({ url: spec.url, cluster: spec.cluster })
  repo = createHistoryRepo(
    client,
    createRedisKeys(spec.prefix, { cluster: spec.cluster !== undefined }),
  )
  close = async () => {
    await client.quit().catch(() => client.disconnect())
  }
}

self.onmessage = (event) => {
  const m = event.data
  if (m.type === 'init') {
    open(m.storage).then(
      () => reply({ type: 'ready' }),
      (err) => reply({ type: 'failed', error: messageOf(err) }),
    )
    return
  }
  if (m.type === 'write') {
    const skipped: { requestId: string; error: string }[] = []
    const run = async () => {
      if (!repo) throw new Error('history writer is not open')
      const records = recordsOf(m.outcomes, m.config, m.known, (requestId, err) =>
        skipped.push({ requestId, error: messageOf(err) }),
      )
      await repo.write(records)
    }
    run().then(
      () => reply({ type: 'written', id: m.id, skipped }),
      (err) => reply({ type: 'written', id: m.id, skipped, error: messageOf(err) }),
    )
    return
  }
  if (m.type === 'stop') {
    void close().finally(() => {
      reply({ type: 'stopped' })
      self.close()
    })
  }
}
