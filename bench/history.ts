/**
 * History storage benchmark: fills a store with N records over 60 days (50 keys, 10 accounts,
 * 6 models) and times the dashboard queries on each backend.
 *
 * Usage: `npx bun bench/history.ts [--records N] [--backend sqlite|redis|both]` (default
 * 1,000,000 and both). Redis is `REDIS_URL` or redis://127.0.0.1:6379/0, under a unique prefix
 * that is deleted afterwards. Results go to bench/results/history.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Redis from 'ioredis'
import type { HistoryRecord, Outcome } from '../src/history/model.ts'
import { openBunSqlite } from '../src/runtime/bun.ts'
import { scanDelete } from '../src/storage/redis/client.ts'
import { createRedisStores } from '../src/storage/redis/create.ts'
import { escapeGlob } from '../src/storage/redis/keys.ts'
import { createSqliteStores } from '../src/storage/sqlite/create.ts'
import type { Stores } from '../src/storage/stores.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const DAYS = 60
const RUNS = 200
const WARMUP = 5

interface Args {
  records: number
  backends: ('sqlite' | 'redis')[]
}

function parseArgs(argv: string[]): Args {
  let records = 1_000_000
  let backend = 'both'
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--records') records = Number(argv[++i])
    else if (a === '--backend') backend = String(argv[++i])
    else throw new Error(`unknown argument ${a}`)
  }
  if (!Number.isInteger(records) || records <= 0) throw new Error('--records must be > 0')
  if (!['sqlite', 'redis', 'both'].includes(backend))
    throw new Error('--backend must be sqlite, redis or both')
  const backends: Args['backends'] =
    backend === 'both' ? ['sqlite', 'redis'] : [backend as 'sqlite' | 'redis']
  return { records, backends }
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const KEYS = Array.from({ length: 50 }, (_, i) => `key-${String(i).padStart(2, '0')}`)
const ACCOUNTS = Array.from({ length: 10 }, (_, i) => `acct-${i}`)
const MODELS = [
  'claude-opus-4-1',
  'claude-opus-4-5',
  'claude-sonnet-4-5',
  'claude-sonnet-4',
  'claude-haiku-4-5',
  'claude-3-5-haiku',
]
const REQUEST_BODY = JSON.stringify({
  model: 'claude-sonnet-4-5',
  max_tokens: 1024,
  messages: [{ role: 'user', content: 'Summarise the attached notes in three bullet points.' }],
}).padEnd(300, ' ')
const RESPONSE_BODY = JSON.stringify({
  type: 'message',
  role: 'assistant',
  content: [{ type: 'text', text: '- first point\n- second point\n- third point' }],
}).padEnd(300, ' ')

/** Generates records [start, end) of the data set, deterministic per index. */
function makeRecords(start: number, end: number, span: { from: number }): HistoryRecord[] {
  const out: HistoryRecord[] = []
  for (let i = start; i < end; i++) {
    const r = rng(i * 2654435761)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T
    // Skewed key use: a few keys make most requests.
    const keyId = KEYS[Math.floor(r() ** 2 * KEYS.length)] as string
    const accountId = pick(ACCOUNTS)
    const model = pick(MODELS)
    const roll = r()
    let outcome: Outcome = 'success'
    let status = 200
    let errorType = ''
    let errorMessage = ''
    if (roll > 0.97) {
      outcome = 'error'
      status = pick([500, 529, 429])
      errorType = status === 529 ? 'overloaded_error' : 'api_error'
      errorMessage = status === 529 ? 'Overloaded' : 'Internal server error'
    } else if (roll > 0.955) {
      outcome = 'aborted'
      status = 200
    } else if (roll > 0.94) {
      outcome = 'rejected'
      status = pick([429, 403])
      errorType = 'rate_limit'
      errorMessage = 'Rate limited by the relay'
    }
    const ok = outcome === 'success' || outcome === 'aborted'
    const startTime = span.from + Math.floor(r() * DAYS * DAY)
    const durationMs = ok ? 300 + Math.floor(r() * 40_000) : Math.floor(r() * 2000)
    const inputTokens = ok ? 50 + Math.floor(r() * 8000) : 0
    const outputTokens = ok ? Math.floor(r() * 2000) : 0
    const cacheReadTokens = ok && r() < 0.6 ? Math.floor(r() * 60_000) : 0
    const cacheCreate5mTokens = ok && r() < 0.3 ? Math.floor(r() * 5000) : 0
    out.push({
      id: `req_${i.toString(36).padStart(8, '0')}${Math.floor(r() * 1e9).toString(36)}`,
      platform: 'claude-console',
      startTime,
      endTime: startTime + durationMs,
      durationMs,
      ttfbMs: ok ? 200 + Math.floor(r() * 3000) : null,
      overheadMs: 1,
      keyId,
      keyName: `Key ${keyId}`,
      accountId,
      accountName: `Account ${accountId}`,
      model,
      stream: r() < 0.8,
      endpoint: '/v1/messages',
      userAgent: 'claude-cli/2.0.0 (external, cli)',
      status,
      outcome,
      errorType,
      errorMessage,
      inputTokens,
      outputTokens,
      cacheCreate5mTokens,
      cacheCreate1hTokens: 0,
      cacheReadTokens,
      costNanos: inputTokens * 3000 + outputTokens * 15_000 + cacheReadTokens * 300,
      tries: 1,
      requestBody: REQUEST_BODY,
      responseBody: ok ? RESPONSE_BODY : '',
      requestHeaders: {},
      attempts: [],
    })
  }
  return out
}

interface Timing {
  p50: number
  p95: number
  p99: number
}

function percentiles(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0
  const round = (n: number) => Math.round(n * 100) / 100
  return { p50: round(at(0.5)), p95: round(at(0.95)), p99: round(at(0.99)) }
}

interface BackendResult {
  backend: string
  records: number
  fillSeconds: number
  queries: Record<string, Timing>
}

async function fill(stores: Stores, n: number, backend: string, span: { from: number }) {
  const batch = backend === 'redis' ? 2000 : 10_000
  const inFlight = backend === 'redis' ? 4 : 1
  const started = performance.now()
  let next = 0
  let lastReport = started
  const worker = async () => {
    for (;;) {
      const start = next
      if (start >= n) return
      next = Math.min(n, start + batch)
      await stores.history.write(makeRecords(start, next, span))
      const now = performance.now()
      if (now - lastReport > 10_000) {
        lastReport = now
        const rate = Math.round(next / ((now - started) / 1000))
        console.log(`  ${backend}: ${next.toLocaleString()} records (${rate}/s)`)
      }
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  return (performance.now() - started) / 1000
}

async function measure(
  stores: Stores,
  span: { from: number; to: number },
): Promise<Record<string, Timing>> {
  const r = rng(42)
  const at = (width: number) => span.from + Math.floor(r() * (span.to - span.from - width))
  const key = () => KEYS[Math.floor(r() * 10)] as string
  const cases: Record<string, () => Promise<unknown>> = {
    'page keyId + 7 days': () => {
      const from = at(7 * DAY)
      return stores.history.query(
        { keyId: key(), from, to: from + 7 * DAY },
        { limit: 50, offset: 0 },
      )
    },
    'page no filter': () => stores.history.query({}, { limit: 50, offset: 0 }),
    // A calendar day (what `date=YYYY-MM-DD` asks for): local midnight to midnight, UTC+8.
    'stats calendar day, hourly series': () => {
      const from = Math.floor((at(DAY) + 8 * HOUR) / DAY) * DAY - 8 * HOUR
      return stores.history.stats({ from, to: from + DAY }, { bucketMs: HOUR, tzOffsetHours: 8 })
    },
    // Any 24 hours (not hour-aligned): the partial first and last hours are scanned.
    'stats any 24 h, hourly series': () => {
      const from = at(DAY)
      return stores.history.stats({ from, to: from + DAY }, { bucketMs: HOUR, tzOffsetHours: 0 })
    },
    'stats 1 day, one keyId': () => {
      const from = at(DAY)
      return stores.history.stats({ keyId: key(), from, to: from + DAY })
    },
  }
  const out: Record<string, Timing> = {}
  for (const [name, run] of Object.entries(cases)) {
    for (let i = 0; i < WARMUP; i++) await run()
    const samples: number[] = []
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now()
      await run()
      samples.push(performance.now() - t0)
    }
    out[name] = percentiles(samples)
  }
  return out
}

async function runBackend(
  backend: 'sqlite' | 'redis',
  n: number,
  span: { from: number; to: number },
): Promise<BackendResult> {
  console.log(`${backend}: filling ${n.toLocaleString()} records…`)
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'crs-bench-history-'))
    const stores = createSqliteStores(openBunSqlite(join(dir, 'relay.db')))
    try {
      const fillSeconds = await fill(stores, n, backend, span)
      console.log(`${backend}: filled in ${fillSeconds.toFixed(1)} s; measuring…`)
      return { backend, records: n, fillSeconds, queries: await measure(stores, span) }
    } finally {
      await stores.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0'
  const prefix = `bench-history:${crypto.randomUUID()}`
  const stores = await createRedisStores({ url, prefix })
  try {
    const fillSeconds = await fill(stores, n, backend, span)
    console.log(`${backend}: filled in ${fillSeconds.toFixed(1)} s; measuring…`)
    return { backend, records: n, fillSeconds, queries: await measure(stores, span) }
  } finally {
    await stores.close()
    const raw = new Redis(url)
    try {
      const deleted = await scanDelete(raw, `${escapeGlob(prefix)}:*`, 5000)
      console.log(`${backend}: deleted ${deleted.toLocaleString()} keys under ${prefix}`)
    } finally {
      raw.disconnect()
    }
  }
}

function table(results: BackendResult[]): string {
  const names = Object.keys(results[0]?.queries ?? {})
  const rows = [['query', 'backend', 'p50 ms', 'p95 ms', 'p99 ms']]
  for (const name of names) {
    for (const r of results) {
      const t = r.queries[name]
      if (t) rows.push([name, r.backend, String(t.p50), String(t.p95), String(t.p99)])
    }
  }
  for (const r of results)
    rows.push([`fill (${r.records})`, r.backend, `${r.fillSeconds.toFixed(1)} s`, '', ''])
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length))) ?? []
  return rows
    .map((row) =>
      row
        .map((cell, c) => (c < 2 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
        .join('  '),
    )
    .join('\n')
}

const args = parseArgs(process.argv.slice(2))
const to = Math.floor(Date.now() / 60_000) * 60_000
const span = { from: to - DAYS * DAY, to }
const results: BackendResult[] = []
for (const backend of args.backends) results.push(await runBackend(backend, args.records, span))
console.log(`\nhistory benchmark, ${args.records.toLocaleString()} records, ${RUNS} runs each\n`)
console.log(table(results))
const dir = join(import.meta.dir, 'results')
mkdirSync(dir, { recursive: true })
writeFileSync(
  join(dir, 'history.json'),
  `${JSON.stringify({ at: new Date().toISOString(), runs: RUNS, results }, null, 2)}\n`,
)
console.log(`\nwritten to ${join(dir, 'history.json')}`)
