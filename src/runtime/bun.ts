/**
 * @module
 * Bun-only adapters: the SQLite driver (bun:sqlite, WAL), file access and the HTTP server.
 */
import { Database } from 'bun:sqlite'
import {
  cachedPrepare,
  OPEN_PRAGMAS,
  queryMethods,
  type SqlDatabase,
} from '../storage/sqlite/driver.ts'
import { prepareSqliteFile } from './node-fs.ts'

/** Opens (creating if needed, mode 0600) a SQLite database with WAL and sane pragmas. */
export function openBunSqlite(path: string): SqlDatabase {
  prepareSqliteFile(path)
  const db = new Database(path, { create: true, strict: true })
  for (const pragma of OPEN_PRAGMAS) db.exec(pragma)
  const { prepare, clear } = cachedPrepare(
    (sql) => db.prepare(sql),
    (st) => st.finalize(),
  )
  return {
    exec: (sql) => {
      db.exec(sql)
    },
    ...queryMethods(prepare),
    transaction: <T>(fn: () => T) => db.transaction(fn).immediate() as T,
    close: () => {
      clear()
      db.close()
    },
  }
}

export { ensureDir, localSecretFiles, stdoutSink } from './node-fs.ts'

import type { Relay } from '../bootstrap.ts'
import { type SocketSession, socketHandlers } from '../http/socket-hub.ts'

/** Starts Bun.serve for a relay and installs graceful shutdown on SIGTERM and SIGINT. */
export function serveBun(relay: Relay): ReturnType<typeof Bun.serve> {
  const { config, logger } = relay
  const server = Bun.serve({
    port: config.PORT,
    hostname: config.HOST,
    // Streams can stay silent for minutes while the model thinks; the relay also disables the
    // timeout per streaming request, this bounds everything else.
    idleTimeout: 255,
    maxRequestBodySize: config.MAX_BODY_SIZE + 1024 * 1024,
    fetch: (request) => relay.app.handle(request),
    websocket: socketHandlers,
    error: (err) => {
      logger.error('server error', { error: err })
      return new Response(
        JSON.stringify({
          type: 'error',
          error: { type: 'api_error', message: 'Internal server error' },
        }),
        {
          status: 500,
          headers: { 'content-type': 'application/json' },
        },
      )
    },
  })
  relay.server.attach({
    disableIdleTimeout: (request) => server.timeout(request, 0),
    requestIP: (request) => server.requestIP(request)?.address ?? null,
    upgrade: (request, session) => server.upgrade(request, { data: session as SocketSession }),
  })
  logger.info('listening', { url: `http://${config.HOST}:${server.port}`, version: relay.version })
  if (!process.env.BUN_CONFIG_MAX_HTTP_REQUESTS)
    logger.warn(
      'BUN_CONFIG_MAX_HTTP_REQUESTS is not set: Bun keeps at most 256 upstream requests (open streams) in flight; start with BUN_CONFIG_MAX_HTTP_REQUESTS=4096 (npm start and the Docker image do)',
    )

  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    relay.startDraining()
    logger.info('shutting down', { signal, pendingRequests: server.pendingRequests })
    const stopped = server.stop(false)
    const deadline = Date.now() + config.SHUTDOWN_TIMEOUT
    while (server.pendingRequests > 0 && Date.now() < deadline) await Bun.sleep(50)
    if (server.pendingRequests > 0) {
      logger.warn('drain timeout reached; ending the remaining streams', {
        pending: server.pendingRequests,
      })
      relay.abortStreams()
      await Bun.sleep(100)
    }
    await server.stop(true)
    await stopped.catch(() => {})
    // With the server gone, what closing waits on (the history writer thread, unref'd timers)
    // would not keep the process alive: it would end quietly halfway, losing queued records.
    const hold = setInterval(() => {}, 1000)
    try {
      await relay.close()
    } catch (err) {
      logger.error('error while closing', { error: err })
    } finally {
      clearInterval(hold)
    }
    logger.info('stopped')
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
  return server
}

import type { PasswordHasher } from '../core/ports.ts'

/** argon2id through Bun.password. */
export const bunPasswordHasher: PasswordHasher = {
  hash: (password) => Bun.password.hash(password, { algorithm: 'argon2id' }),
  verify: (password, hash) => Bun.password.verify(password, hash),
}

export { filePriceSource } from './node-fs.ts'

import { statSync } from 'node:fs'

import { resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Reads built web UI files from a directory (`dist/web`); null for a missing file or a path outside it. */
export function distAssetReader(
  dir: string | URL,
): (path: string) => Promise<{ body: Blob; type: string } | null> {
  const root = resolve(typeof dir === 'string' ? dir : fileURLToPath(dir))
  return async (path) => {
    const full = resolve(root, path)
    if (full !== root && !full.startsWith(root + sep)) return null
    try {
      if (!statSync(full, { throwIfNoEntry: false })?.isFile()) return null
    } catch {
      return null // ENAMETOOLONG, ENOTDIR: no such file
    }
    const file = Bun.file(full)
    return { body: file, type: file.type }
  }
}
