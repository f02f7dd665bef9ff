/**
 * A load client run as its own process (`bun tests/helpers/load-client.ts`), so the test process
 * (which hosts the fake upstream) and Bun's per-process cap on concurrent fetches (256 unless
 * BUN_CONFIG_MAX_HTTP_REQUESTS says otherwise) never limit the load. `LOAD_CONCURRENCY` workers
 * each send streamed Messages requests back to back for `LOAD_DURATION_MS`; every response must
 * be a 200 SSE stream that ends with `message_stop`. Prints one JSON line of {@link LoadResult}.
 */

/** What one run of the load client saw. */
export interface LoadResult {
  /** Streams that completed correctly. */
  completed: number
  /** Requests that failed (status, missing message_stop, error event, network error). */
  errors: number
  /** Up to 10 descriptions of failures. */
  errorSamples: string[]
  /** Most requests this client had open at once. */
  maxOpen: number
  /** Time to response headers, median and 99th percentile (ms). */
  ttfbP50: number
  ttfbP99: number
  /** Whole stream time, median and 99th percentile (ms). */
  durationP50: number
  durationP99: number
}

/** Environment of one load-client run. */
export interface LoadClientEnv {
  LOAD_URL: string
  LOAD_KEY: string
  LOAD_CONCURRENCY: string
  LOAD_DURATION_MS: string
  /** Workers start spread over this many ms (default 1000), as new sessions would arrive. */
  LOAD_RAMP_MS?: string
}

/** Runs the load; exported for the spawned entry below. */
export async function runLoad(env: LoadClientEnv): Promise<LoadResult> {
  const url = `${env.LOAD_URL}/api/v1/messages`
  const concurrency = Number(env.LOAD_CONCURRENCY)
  const end = performance.now() + Number(env.LOAD_DURATION_MS)
  const rampMs = Number(env.LOAD_RAMP_MS ?? 1000)
  const result: LoadResult = {
    completed: 0,
    errors: 0,
    errorSamples: [],
    maxOpen: 0,
    ttfbP50: 0,
    ttfbP99: 0,
    durationP50: 0,
    durationP99: 0,
  }
  const ttfb: number[] = []
  const durations: number[] = []
  let open = 0
  const fail = (why: string) => {
    result.errors++
    if (result.errorSamples.length < 10) result.errorSamples.push(why)
  }

  async function worker(w: number) {
    // One Claude Code-like session per worker: its requests stick to one account.
    const session = crypto.randomUUID()
    await Bun.sleep((w * rampMs) / concurrency)
    for (let i = 0; performance.now() < end; i++) {
      const t0 = performance.now()
      open++
      result.maxOpen = Math.max(result.maxOpen, open)
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'x-api-key': env.LOAD_KEY, 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'claude-sonnet-4-6',
            max_tokens: 64,
            stream: true,
            metadata: { user_id: `user_load_account__session_${session}` },
            messages: [{ role: 'user', content: `load ${w} ${i}` }],
          }),
        })
        ttfb.push(performance.now() - t0)
        const text = await res.text()
        durations.push(performance.now() - t0)
        if (res.status !== 200) fail(`status ${res.status}: ${text.slice(0, 200)}`)
        else if (text.includes('event: error')) fail(`error event: ${text.slice(-300)}`)
        else if (!text.trimEnd().endsWith('data: {"type":"message_stop"}'))
          fail(`stream without a final message_stop: ${text.slice(-200)}`)
        else result.completed++
      } catch (err) {
        fail(`network: ${err instanceof Error ? err.message : String(err)}`)
      } finally {
        open--
      }
    }
  }

  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)))
  const pct = (xs: number[], p: number) => {
    if (xs.length === 0) return 0
    const sorted = [...xs].sort((a, b) => a - b)
    return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!)
  }
  result.ttfbP50 = pct(ttfb, 0.5)
  result.ttfbP99 = pct(ttfb, 0.99)
  result.durationP50 = pct(durations, 0.5)
  result.durationP99 = pct(durations, 0.99)
  return result
}

if (import.meta.main) {
  const result = await runLoad(process.env as unknown as LoadClientEnv)
  process.stdout.write(`${JSON.stringify(result)}\n`)
}
