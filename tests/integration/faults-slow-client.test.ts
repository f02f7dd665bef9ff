/**
 * Fault injection: a slow client on a huge stream. The upstream produces a 128 MB SSE answer at
 * once; the client (a raw socket) barely reads for several seconds, then reads the rest. The relay
 * process must pass backpressure through (pull-based stream): its RSS stays bounded and most of
 * the answer stays unread at the upstream until the client asks for it. Then the client reads the
 * rest at full speed and gets the whole answer.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import {
  type FakeUpstream,
  type RawUpstream,
  startFakeUpstream,
  startRawUpstream,
} from '../fakes/fake-upstream.ts'
import { adminOf, type RelayProcess, rssOf, spawnRelay } from '../helpers/process.ts'

const FLOOD_MB = 128
const MB = 1024 * 1024
/** Largest RSS growth of the relay process allowed while relaying the flood. */
const MAX_GROWTH_MB = 64

let up: FakeUpstream
let raw: RawUpstream
let relay: RelayProcess

beforeAll(async () => {
  up = startFakeUpstream()
  raw = await startRawUpstream()
  relay = await spawnRelay({
    CLAUDE_API_URL: up.messagesUrl,
  })
})
afterAll(async () => {
  await relay?.stop('SIGKILL')
  if (relay) rmSync(relay.cwd, { recursive: true, force: true })
  raw?.stop()
  up?.stop()
})

/** Resident memory of a process in bytes (Linux /proc). */
/**
 * A streamed request over a raw socket that reads only when told to: `sip` takes 16 KB (the
 * socket itself pulls somewhat more from the kernel: `bytesRead`), `drain` reads the rest.
 */
function rawStreamRequest(url: string, key: string) {
  const { hostname, port } = new URL(url)
  const body = JSON.stringify({
    model: 'claude-sonnet-4-6',
    max_tokens: 16,
    stream: true,
    messages: [{ role: 'user', content: 'flood' }],
  })
  const socket: Socket = connect({ host: hostname, port: Number(port) })
  let received = 0
  let tail = ''
  let head = ''
  let ended = false
  const take = (chunk: Buffer | null) => {
    if (!chunk) return
    received += chunk.byteLength
    if (head.length < 1024) head += chunk.subarray(0, 1024).toString('latin1')
    tail = (tail + chunk.subarray(-256).toString('latin1')).slice(-256)
  }
  socket.on('end', () => {
    ended = true
  })
  socket.on('error', () => {
    ended = true
  })
  socket.write(
    `POST /api/v1/messages HTTP/1.1\r\nhost: ${hostname}:${port}\r\nx-api-key: ${key}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `connection: close\r\n\r\n${body}`,
  )
  return {
    socket,
    sip: () => take(socket.read(16 * 1024) ?? socket.read()),
    drain: () => {
      socket.on('data', take)
      socket.resume()
    },
    /** Bytes the client socket has taken from the kernel (read or buffered). */
    intake: () => socket.bytesRead,
    received: () => received,
    ended: () => ended,
    head: () => head,
    tail: () => tail,
  }
}

describe('a slow client reading a 128 MB stream', () => {
  test('the relay passes backpressure to the upstream: while the client sips, its RSS grows by less than 64 MB and the upstream keeps what the client has not read', async () => {
    const admin = await adminOf(relay.url)
    await admin('POST', '/admin/claude-console-accounts', {
      name: 'flood',
      apiUrl: raw.url,
      apiKey: 'flood',
    })
    const key = (await admin('POST', '/admin/api-keys', { name: 'slow', concurrencyLimit: 1 })).data
      .apiKey as string
    // Warm up (JIT, buffers) with an ordinary stream, then take the baseline.
    raw.script({ kind: 'ok' })
    const warm = await fetch(`${relay.url}/api/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key },
      body: JSON.stringify({
        model: 'claude-sonnet-4-6',
        max_tokens: 16,
        stream: true,
        messages: [{ role: 'user', content: 'warm' }],
      }),
    })
    expect(await warm.text()).toContain('message_stop')
    await Bun.sleep(200)
    const pid = relay.proc.pid
    const baseline = rssOf(pid)
    let maxRss = baseline
    const sampler = setInterval(() => {
      maxRss = Math.max(maxRss, rssOf(pid))
    }, 50)

    raw.script({ kind: 'flood', megabytes: FLOOD_MB })
    const client = rawStreamRequest(relay.url, key)
    // Slow phase: 6 s of 16 KB sips every 250 ms.
    const t0 = Date.now()
    while (Date.now() - t0 < 6000) {
      client.sip()
      await Bun.sleep(250)
    }
    maxRss = Math.max(maxRss, rssOf(pid))
    const produced = raw.stats.produced
    const heldByUpstream = raw.unsentBytes()
    const readSlowly = client.received()
    const clientIntake = client.intake()
    const slowPhaseMaxRss = maxRss
    // Then read the rest at full speed: the whole answer arrives, still with bounded memory.
    client.drain()
    const t1 = Date.now()
    while (!client.ended() && Date.now() - t1 < 30_000) await Bun.sleep(20)
    clearInterval(sampler)
    maxRss = Math.max(maxRss, rssOf(pid))
    const numbers = {
      floodMB: FLOOD_MB,
      upstreamProducedMB: Math.round(produced / MB),
      heldByUpstreamAfterSlowPhaseMB: Math.round(heldByUpstream / MB),
      clientReadDuringSlowPhaseMB: +(readSlowly / MB).toFixed(2),
      clientSocketIntakeDuringSlowPhaseMB: +(clientIntake / MB).toFixed(2),
      takenFromUpstreamDuringSlowPhaseMB: +((produced - heldByUpstream) / MB).toFixed(2),
      baselineRssMB: Math.round(baseline / MB),
      maxRssSlowPhaseMB: Math.round(slowPhaseMaxRss / MB),
      maxRssMB: Math.round(maxRss / MB),
      growthSlowPhaseMB: Math.round((slowPhaseMaxRss - baseline) / MB),
      growthMB: Math.round((maxRss - baseline) / MB),
      clientReceivedMB: Math.round(client.received() / MB),
      fastPhaseMs: Date.now() - t1,
    }
    console.log('slow-client', JSON.stringify(numbers))

    expect(produced).toBeGreaterThan(FLOOD_MB * MB)
    // The relay did not drain the upstream into memory while the client was not reading.
    expect(readSlowly).toBeLessThan(MB)
    expect(heldByUpstream).toBeGreaterThan((FLOOD_MB - MAX_GROWTH_MB) * MB)
    expect(slowPhaseMaxRss - baseline).toBeLessThan(MAX_GROWTH_MB * MB)
    // Reading the rest at full speed (~250 MB/s) adds garbage-collector lag, never the flood.
    expect(maxRss - baseline).toBeLessThan(FLOOD_MB * MB)
    // And the whole answer went through.
    expect(client.ended()).toBe(true)
    expect(client.head()).toStartWith('HTTP/1.1 200')
    expect(client.received()).toBeGreaterThan(FLOOD_MB * MB)
    expect(client.tail()).toContain('message_stop')
    // The request was recorded as a success and its lease released.
    let history: any[] = []
    for (let i = 0; i < 50 && history.length < 2; i++) {
      const res = (await (
        await fetch(`${relay.url}/api/v1/request-history?limit=10`, {
          headers: { 'x-api-key': key },
        })
      ).json()) as any
      history = res.history
      if (history.length < 2) await Bun.sleep(100)
    }
    expect(history.map((h) => h.outcome)).toEqual(['success', 'success'])
    const usage = (await (
      await fetch(`${relay.url}/api/v1/usage`, { headers: { 'x-api-key': key } })
    ).json()) as any
    expect(usage.limits.currentConcurrency).toBe(0)
  }, 60_000)
})
