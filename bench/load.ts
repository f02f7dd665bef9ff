/**
 * Load generator (its own process): N workers send requests back to back for a duration and
 * report throughput, latency and time-to-first-byte percentiles as one JSON line on stdout.
 * Input: a JSON argument {urls, concurrency, durationMs, requests?, body (string), keys[], warmupMs}.
 */
interface Job {
  urls: string[]
  concurrency: number
  durationMs: number
  requests?: number
  body: string
  keys: string[]
  warmupMs: number
}

const arg = process.argv[2] ?? '{}'
const job = JSON.parse(arg.startsWith('@') ? await Bun.file(arg.slice(1)).text() : arg) as Job
const body = new TextEncoder().encode(job.body)

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

async function one(
  i: number,
  record: boolean,
  lat: number[],
  ttfb: number[],
  counters: { bytes: number; errors: number },
) {
  const url = job.urls[i % job.urls.length]!
  const key = job.keys[i % job.keys.length]!
  const t0 = performance.now()
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body,
    })
    const reader = res.body!.getReader()
    let first = 0
    let bytes = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (!first) first = performance.now()
      bytes += value.byteLength
    }
    const t1 = performance.now()
    if (res.status !== 200) counters.errors++
    if (record) {
      lat.push(t1 - t0)
      ttfb.push((first || t1) - t0)
      counters.bytes += bytes
    }
  } catch {
    counters.errors++
  }
}

const lat: number[] = []
const ttfb: number[] = []
const counters = { bytes: 0, errors: 0 }
let seq = 0
const warmEnd = performance.now() + job.warmupMs
await Promise.all(
  Array.from({ length: job.concurrency }, async () => {
    while (performance.now() < warmEnd) await one(seq++, false, lat, ttfb, counters)
  }),
)
counters.errors = 0
const t0 = performance.now()
const end = t0 + job.durationMs
let sent = 0
await Promise.all(
  Array.from({ length: job.concurrency }, async () => {
    while (performance.now() < end && (job.requests === undefined || sent < job.requests)) {
      sent++
      await one(seq++, true, lat, ttfb, counters)
    }
  }),
)
const elapsed = (performance.now() - t0) / 1000
lat.sort((a, b) => a - b)
ttfb.sort((a, b) => a - b)
console.log(
  JSON.stringify({
    requests: lat.length,
    errors: counters.errors,
    rps: lat.length / elapsed,
    bytesPerSec: counters.bytes / elapsed,
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    ttfbP50: pct(ttfb, 50),
    ttfbP99: pct(ttfb, 99),
    elapsed,
  }),
)

export {}
