/**
 * Starts a complete relay for tests: real services over the given stores (in-memory SQLite by
 * default), the fake upstream as Anthropic, and optionally a real listening socket.
 */

import { type BuildOptions, buildRelay, type Relay } from '../../src/bootstrap.ts'
import { loadConfig } from '../../src/config/load.ts'
import { createLogger } from '../../src/core/log.ts'
import { type SocketSession, socketHandlers } from '../../src/http/socket-hub.ts'
import type { RequestOutcome } from '../../src/relay/recorder.ts'
import { bunPasswordHasher, openBunSqlite } from '../../src/runtime/bun.ts'
import { bunDirectStream } from '../../src/runtime/bun-stream.ts'
import { createSqliteStores } from '../../src/storage/sqlite/create.ts'
import type { Stores } from '../../src/storage/stores.ts'
import type { FakeUpstream } from '../fakes/fake-upstream.ts'

export const TEST_ENCRYPTION_KEY = 'test-encryption-key-0123456789abcdef'
export const ADMIN = { username: 'admin', password: 'correct-horse-battery' }

/** Options of {@link startRelay}. */
export interface TestRelayOptions {
  upstream: FakeUpstream
  stores?: Stores
  env?: Record<string, string>
  /** Open a real port (needed by SDK clients and disconnect tests). */
  listen?: boolean
  idleTimeout?: number
  clock?: { now(): number }
  /** ENCRYPTION_KEY of the relay (default {@link TEST_ENCRYPTION_KEY}), e.g. an imported system's. */
  encryptionKey?: string
  /** Serves the built web UI at `/web` (see src/web/serve-web.ts). */
  readAsset?: BuildOptions['readAsset']
  /** DNS of the outbound URL policy (default node:dns). */
  resolveHost?: BuildOptions['resolveHost']
  /** Admin password hashing (default argon2id through Bun.password, ~100 ms a sign-in). */
  hasher?: BuildOptions['hasher']
}

/** A running test relay. */
export interface TestRelay {
  relay: Relay
  /** Base URL when listening, else `http://localhost`. */
  url: string
  outcomes: RequestOutcome[]
  handle(request: Request): Promise<Response>
  adminToken(): Promise<string>
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>
  createKey(input?: Record<string, unknown>): Promise<{ id: string; key: string }>
  createConsoleAccount(name: string, input?: Record<string, unknown>): Promise<string>
  createOAuthAccount(name: string, input?: Record<string, unknown>): Promise<string>
  /** Resolves once `n` outcomes were recorded. */
  waitOutcomes(n: number, timeoutMs?: number): Promise<RequestOutcome[]>
  /**
   * Records the requests whose response is complete (usage, history, outcome, lease release),
   * which the relay otherwise does on the event loop's next turn; call it before reading their
   * effects in-process.
   */
  settle(): Promise<void>
  stop(): Promise<void>
}

/** Starts a relay wired to the fake upstream. */
export async function startRelay(options: TestRelayOptions): Promise<TestRelay> {
  const config = loadConfig({
    CLAUDE_API_URL: options.upstream.messagesUrl,
    CLAUDE_OAUTH_TOKEN_URL: options.upstream.tokenUrl,
    LOG_LEVEL: 'error',
    // The fake upstream and test proxies listen on loopback: opt in past the outbound URL policy.
    UPSTREAM_ALLOW_HOSTS: '127.0.0.1,localhost,::1',
    ...options.env,
  })
  const stores = options.stores ?? createSqliteStores(openBunSqlite(':memory:'))
  const outcomes: RequestOutcome[] = []
  const relay = await buildRelay({
    config,
    secrets: {
      jwtSecret: 'test-jwt-secret-0123456789abcdef0123456789',
      encryptionKey: options.encryptionKey ?? TEST_ENCRYPTION_KEY,
      adminUsername: ADMIN.username,
      adminPassword: ADMIN.password,
      adminPasswordFromFile: false,
    },
    stores,
    logger: createLogger({ level: 'error', sink: { write: (l) => console.error(l) } }),
    hasher: options.hasher ?? bunPasswordHasher,
    recorders: [{ record: (o) => outcomes.push(o) }],
    clock: options.clock,
    readAsset: options.readAsset,
    resolveHost: options.resolveHost,
    memory: () => process.memoryUsage(),
    // The stream the Bun entry point relays answers with (RELAY_TEST_STREAM=standard: the web one).
    makeStream: process.env.RELAY_TEST_STREAM === 'standard' ? undefined : bunDirectStream,
  })
  let server: ReturnType<typeof Bun.serve> | null = null
  if (options.listen) {
    server = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      idleTimeout: options.idleTimeout ?? 30,
      fetch: (r) => relay.app.handle(r),
      websocket: socketHandlers,
    })
    const srv = server
    relay.server.attach({
      disableIdleTimeout: (r) => srv.timeout(r, 0),
      requestIP: (r) => srv.requestIP(r)?.address ?? null,
      upgrade: (r, session) => srv.upgrade(r, { data: session as SocketSession }),
    })
  }
  const url = server ? `http://127.0.0.1:${server.port}` : 'http://localhost'
  const handle = (r: Request) => relay.app.handle(r)
  const settle = async () => {
    // A response's end may still be on its way out of the server: give it a turn, then record.
    await new Promise((resolve) => setImmediate(resolve))
    relay.services.relay.settle()
  }
  let token: string | null = null
  const adminToken = async () => {
    if (token) return token
    const res = await handle(
      new Request('http://localhost/web/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(ADMIN),
      }),
    )
    const json = (await res.json()) as { token: string }
    token = json.token
    return token
  }
  const admin = async (
    method: string,
    path: string,
    body?: unknown,
    retried = false,
  ): Promise<{ status: number; json: any }> => {
    const res = await handle(
      new Request(`http://localhost${path}`, {
        method,
        headers: {
          authorization: `Bearer ${await adminToken()}`,
          'content-type': 'application/json',
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    )
    if (res.status === 401 && !retried) {
      // The cached session was revoked (a test changed the password or signed out): sign in again.
      token = null
      return admin(method, path, body, true)
    }
    return { status: res.status, json: (await res.json()) as any }
  }
  return {
    relay,
    url,
    outcomes,
    handle,
    adminToken,
    admin,
    async createKey(input = {}) {
      const r = await admin('POST', '/admin/api-keys', {
        name: `key-${crypto.randomUUID().slice(0, 6)}`,
        ...input,
      })
      if (r.status !== 200) throw new Error(`createKey failed: ${JSON.stringify(r.json)}`)
      return { id: r.json.data.id, key: r.json.data.apiKey }
    },
    async createConsoleAccount(name, input = {}) {
      const r = await admin('POST', '/admin/claude-console-accounts', {
        name,
        apiUrl: options.upstream.url,
        apiKey: name,
        ...input,
      })
      if (r.status !== 200)
        throw new Error(`createConsoleAccount failed: ${JSON.stringify(r.json)}`)
      return r.json.data.id as string
    },
    async createOAuthAccount(name, input = {}) {
      const r = await admin('POST', '/admin/claude-accounts', {
        name,
        claudeAiOauth: {
          accessToken: name,
          refreshToken: `refresh-${name}`,
          expiresAt: Date.now() + 3_600_000,
          scopes: ['user:inference'],
        },
        ...input,
      })
      if (r.status !== 200) throw new Error(`createOAuthAccount failed: ${JSON.stringify(r.json)}`)
      return r.json.data.id as string
    },
    settle,
    async waitOutcomes(n, timeoutMs = 5000) {
      await settle()
      const t0 = Date.now()
      while (outcomes.length < n && Date.now() - t0 < timeoutMs) await Bun.sleep(5)
      return outcomes
    },
    async stop() {
      server?.stop(true)
      await relay.close()
    },
  }
}
