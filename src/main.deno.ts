/**
 * Deno entry point: the same wiring as src/main.ts on `Deno.serve`, with SQLite through
 * node:sqlite. Run with `npm run start:deno` (the `deno` npm package provides the binary).
 */
import { bootstrap } from './bootstrap.ts'
import { ConfigError } from './core/errors.ts'
import { fsAssetReader, loadDotEnv, openNodeSqlite, wasmPasswordHasher } from './runtime/deno.ts'
import { rotatingFileSink } from './runtime/log-file.ts'
import { ensureDir, filePriceSource, localSecretFiles, stdoutSink } from './runtime/node-fs.ts'

const env = Deno.env.toObject()
loadDotEnv('.env', env)

try {
  const relay = await bootstrap(env, {
    openSqlite: openNodeSqlite,
    secretFiles: localSecretFiles,
    ensureDir,
    logSink: stdoutSink,
    fileSink: rotatingFileSink,
    hasher: wasmPasswordHasher,
    filePriceSource,
    readAsset: fsAssetReader(new URL('../dist/web', import.meta.url).pathname),
    memory: () => Deno.memoryUsage(),
  })
  const { config, logger } = relay
  const ips = new WeakMap<Request, string>()
  relay.server.attach({ requestIP: (request) => ips.get(request) ?? null })
  let pending = 0
  const server = Deno.serve(
    {
      port: config.PORT,
      hostname: config.HOST,
      onListen: ({ port }) =>
        logger.info('listening', {
          url: `http://${config.HOST}:${port}`,
          runtime: 'deno',
          version: relay.version,
        }),
    },
    async (request, info) => {
      ips.set(request, info.remoteAddr.hostname)
      pending++
      try {
        return await relay.app.handle(request)
      } finally {
        pending--
      }
    },
  )
  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    relay.startDraining()
    logger.info('shutting down', { signal })
    const deadline = Date.now() + config.SHUTDOWN_TIMEOUT
    while ((pending > 0 || relay.inFlight() > 0) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50))
    relay.abortStreams()
    await new Promise((r) => setTimeout(r, 100))
    await server.shutdown().catch(() => {})
    // What closing waits on would not keep the process alive on its own once the server is gone.
    const hold = setInterval(() => {}, 1000)
    await relay.close().catch((err: unknown) => logger.error('error while closing', { error: err }))
    clearInterval(hold)
    logger.info('stopped')
    Deno.exit(0)
  }
  Deno.addSignalListener('SIGTERM', () => void shutdown('SIGTERM'))
  Deno.addSignalListener('SIGINT', () => void shutdown('SIGINT'))
} catch (err) {
  console.error(
    err instanceof ConfigError
      ? err.message
      : `Cannot start: ${err instanceof Error ? err.message : String(err)}`,
  )
  Deno.exit(1)
}
