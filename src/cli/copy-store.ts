/**
 * @module
 * The `copy-store` command: copies the storage this relay is configured for (loaded exactly like
 * the service: loadConfig → resolveSecrets → chooseStorage) into another store named on the
 * command line, with {@link copyStores}. Runtime pieces are passed in, as for `import-crs`.
 */
import { chooseStorage, loadConfig, type StorageChoice } from '../config/load.ts'
import { resolveSecrets } from '../config/secrets.ts'
import { ConfigError } from '../core/errors.ts'
import { createLogger } from '../core/log.ts'
import { type CopyReport, copyStores } from '../migrate/copy-store.ts'
import { openStores } from '../storage/open.ts'
import { parseNode } from '../storage/redis/client.ts'
import type { Stores } from '../storage/stores.ts'
import {
  confirmWrite,
  createProgress,
  type ImportRuntime,
  maskUrl,
  readOptions,
} from './import-crs.ts'

/** Parsed command-line options. */
export interface CopyArgs {
  /** `redis://…`, `rediss://…` or `sqlite:<path>`. */
  to: string
  toPrefix: string | null
  toCluster: boolean
  toClusterNodes: string[]
  dryRun: boolean
  yes: boolean
  help: boolean
}

/** Usage text of the command, as invoked by `command` (`npm run copy-store --`, or the binary's). */
export function copyUsage(command = 'npm run copy-store --'): string {
  return `Usage: ${command} --to <store> [options]

Copies everything this relay keeps (API keys, accounts and their health, groups, settings and the
admin login, the audit log, usage counters, request history) from the storage it is configured
for (REDIS_URL / REDIS_HOST / REDIS_CLUSTER_NODES, else SQLite in DATA_DIR) into another store.
Use it to move from SQLite to Redis, or from one Redis to a Redis Cluster. Stop the relay first,
or run the command again after the switch: a second run copies only what changed and never
counts usage twice. Run the relay on the new store with the same ENCRYPTION_KEY.

Options:
  --to <store>              redis://[user:password@]host:port[/db], rediss://…, or sqlite:<path>
  --to-prefix <text>        key prefix in the target Redis (default: REDIS_PREFIX)
  --to-cluster              the target Redis is a node of a Redis Cluster
  --to-cluster-nodes <list> more cluster seed nodes, host:port,host:port (implies --to-cluster)
  --dry-run                 read and count everything, write nothing
  --yes                     do not ask for confirmation
  -h, --help                this text`
}

/** Usage text of `npm run copy-store`. */
export const COPY_USAGE = copyUsage()

/** Parses `argv` (the arguments after the command). Throws on unknown or incomplete options. */
export function parseCopyArgs(argv: string[]): CopyArgs {
  const args: CopyArgs = {
    to: '',
    toPrefix: null,
    toCluster: false,
    toClusterNodes: [],
    dryRun: false,
    yes: false,
    help: false,
  }
  readOptions(argv, args, (flag, value) => {
    switch (flag) {
      case '--to':
        args.to = value()
        break
      case '--to-prefix':
        args.toPrefix = value()
        break
      case '--to-cluster':
        args.toCluster = true
        break
      case '--to-cluster-nodes':
        args.toClusterNodes = value()
          .split(',')
          .map((n) => n.trim())
          .filter(Boolean)
        for (const n of args.toClusterNodes) parseNode(n)
        args.toCluster = true
        break
      default:
        return false
    }
    return true
  })
  if (args.help) return args
  if (!args.to) throw new Error('Missing --to <store>')
  const redis = /^rediss?:\/\//.test(args.to)
  if (!redis && !/^sqlite:.+/.test(args.to))
    throw new Error(`--to must be redis://…, rediss://… or sqlite:<path>, got "${args.to}"`)
  if (!redis && (args.toCluster || args.toPrefix !== null))
    throw new Error('--to-prefix and --to-cluster apply to a Redis target only')
  if (args.toPrefix !== null && !/^[A-Za-z0-9_.-]{1,32}$/.test(args.toPrefix))
    throw new Error(`--to-prefix must be 1-32 of A-Z a-z 0-9 _ . -, got "${args.toPrefix}"`)
  return args
}

/** The target as a storage choice, like the configuration would give it. */
export function targetChoice(args: CopyArgs, defaultPrefix: string): StorageChoice {
  if (args.to.startsWith('sqlite:'))
    return { kind: 'sqlite', path: args.to.slice('sqlite:'.length) }
  return {
    kind: 'redis',
    url: args.to,
    tls: args.to.startsWith('rediss:'),
    prefix: args.toPrefix ?? defaultPrefix,
    ...(args.toCluster ? { cluster: { nodes: args.toClusterNodes } } : {}),
  }
}

/** A store's description for messages (password hidden). */
export function describeStore(c: StorageChoice): string {
  if (c.kind === 'sqlite') return `sqlite ${c.path}`
  return `redis${c.cluster ? ' cluster' : ''} ${maskUrl(c.url)} (prefix ${c.prefix})`
}

/** Whether two choices name the same data (same file, or same Redis database and prefix). */
export function sameStore(a: StorageChoice, b: StorageChoice): boolean {
  if (a.kind === 'sqlite' || b.kind === 'sqlite') {
    const file = (c: StorageChoice) => (c.kind === 'sqlite' ? c.path.replace(/^\.\//, '') : null)
    return file(a) === file(b)
  }
  const where = (c: { url: string; prefix: string }) => {
    const u = new URL(c.url)
    return `${u.hostname}:${u.port || '6379'}/${u.pathname.replace(/^\//, '') || '0'}#${c.prefix}`
  }
  return where(a) === where(b)
}

/** Inputs of {@link runCopy}. */
export interface RunCopyOptions {
  args: CopyArgs
  env: Record<string, string | undefined>
  runtime: Pick<ImportRuntime, 'openSqlite' | 'secretFiles' | 'ensureDir' | 'fileExists'>
  out: (line: string) => void
  err: { write(text: string): void; isTTY: boolean }
  confirm?: (question: string) => Promise<boolean>
  /** Usage text for `--help` (default: the npm script's). */
  usage?: string
}

/** Renders a report as text lines. */
export function formatCopyReport(r: CopyReport, from: string, to: string): string[] {
  return [
    `copied from ${from} into ${to}${r.dryRun ? ' (DRY RUN: nothing was written)' : ''}`,
    `API keys ${r.keys}, accounts ${r.accounts}, groups ${r.groups}, settings ${r.settings}, audit entries ${r.audit}`,
    `usage counters ${r.counters} (${r.countersChanged} ${r.dryRun ? 'would change' : 'changed'} in the target)`,
    `request history ${r.history}`,
  ]
}

/** Runs the copy command; resolves to the exit code and the report (when it ran). */
export async function runCopy(
  options: RunCopyOptions,
): Promise<{ code: number; report?: CopyReport }> {
  const { args, runtime, out, err } = options
  if (args.help) {
    out(options.usage ?? COPY_USAGE)
    return { code: 0 }
  }
  let source: StorageChoice
  let target: StorageChoice
  try {
    const config = loadConfig(options.env)
    // Only read: never write a secrets file from here.
    const secrets = resolveSecrets(config, { ...runtime.secretFiles, writePrivate: () => {} })
    if (secrets.generated.includes('ENCRYPTION_KEY'))
      throw new ConfigError([
        'ENCRYPTION_KEY: not set and not in DATA_DIR/secrets.json; the copied keys and account secrets only work with the key they were written with',
      ])
    source = chooseStorage(config, runtime.secretFiles.join)
    target = targetChoice(args, config.REDIS_PREFIX)
  } catch (e) {
    err.write(`${e instanceof ConfigError ? e.message : String(e)}\n`)
    return { code: 1 }
  }
  const from = describeStore(source)
  const to = describeStore(target)
  if (sameStore(source, target)) {
    err.write(`The target is the configured store itself (${from}).\n`)
    return { code: 1 }
  }
  if (source.kind === 'sqlite' && !runtime.fileExists(source.path)) {
    err.write(`Nothing to copy: ${source.path} does not exist (check DATA_DIR).\n`)
    return { code: 1 }
  }
  const question = `Copy everything from ${from} into ${to}?`
  if (!(await confirmWrite(question, args, options))) return { code: 2 }

  const logger = createLogger({ level: 'warn', sink: { write: (l) => err.write(`${l}\n`) } })
  let src: Stores | null = null
  let dst: Stores | null = null
  try {
    src = (await openStores(source, runtime, { logger })).stores
    await src.ping()
    // A dry run reads the target too (to say what would change) but must not create a file.
    dst = (await openStores(target, runtime, { logger, dryRun: args.dryRun })).stores
    await dst.ping()
    const report = await copyStores(src, dst, {
      dryRun: args.dryRun,
      progress: createProgress(err),
    })
    for (const line of formatCopyReport(report, from, to)) out(line)
    return { code: 0, report }
  } catch (e) {
    err.write(`Copy failed: ${e instanceof Error ? e.message : String(e)}\n`)
    return { code: 1 }
  } finally {
    await dst?.close()
    await src?.close()
  }
}
