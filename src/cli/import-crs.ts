/**
 * @module
 * The `import-crs` command: parses arguments, loads our configuration exactly like the service
 * (loadConfig → resolveSecrets → chooseStorage), opens the configured stores, runs the import
 * from the old claude-relay-service Redis and prints the summary. Runtime pieces (SQLite driver,
 * files, password hashing, terminal) are passed in, so a single binary can expose it as a
 * subcommand.
 */
import { chooseStorage, loadConfig } from '../config/load.ts'
import { resolveSecrets, type SecretFileAccess } from '../config/secrets.ts'
import { createSecretBox, sha256Hex } from '../core/crypto.ts'
import { ConfigError } from '../core/errors.ts'
import { createLogger } from '../core/log.ts'
import type { PasswordHasher } from '../core/ports.ts'
import { type ImportReport, importFromOld, type ProgressSink } from '../migrate/import.ts'
import type { OldRedis } from '../migrate/read-old.ts'
import { createUrlPolicy, type HostResolver } from '../security/url-policy.ts'
import { connectOldRedis } from '../storage/old-crs/redis-reader.ts'
import { openStores } from '../storage/open.ts'
import type { SqlDatabase } from '../storage/sqlite/driver.ts'
import type { Stores } from '../storage/stores.ts'
import { loadPricing } from '../usage/price-loader.ts'

/** Parsed command-line options. */
export interface ImportArgs {
  from: string
  dryRun: boolean
  prefixOld: string
  yes: boolean
  initJson: string | null
  help: boolean
}

/** Usage text of the command, as invoked by `command` (`npm run import-crs --`, or the binary's). */
export function importUsage(command = 'npm run import-crs --'): string {
  return `Usage: ${command} --from redis://host:6379/0 [options]

Imports API keys, Claude accounts, groups, usage counters, request history and the admin login
from a claude-relay-service Redis into the storage this relay is configured for (REDIS_URL /
REDIS_HOST, else SQLite in DATA_DIR). ENCRYPTION_KEY must be the old system's. The old Redis is
only read (SCAN, HGETALL, GET, SMEMBERS). Running it again imports only what changed.
Costs the old system did not store (per model, per account, per request) are priced with this
relay's price table, and models are counted under the names new requests use. Account URLs are
checked against the outbound URL policy (UPSTREAM_ALLOW_HOSTS…): refused ones are imported as
not schedulable and listed.

Options:
  --from <url>          the old Redis (required), e.g. redis://:password@10.0.0.5:6379/0
  --dry-run             read and report everything, write nothing
  --prefix-old <text>   prefix of the old keys (default: none)
  --init-json <path>    the old data/init.json: its plaintext admin password is hashed anew
  --yes                 do not ask for confirmation
  -h, --help            this text`
}

/** Usage text of `npm run import-crs`. */
export const IMPORT_USAGE = importUsage()

/**
 * Walks command-line options, `--name value` or `--name=value`. `--dry-run`, `--yes` (`-y`) and
 * `--help` (`-h`) set the flags of `common`; `take` handles the others (calling `value()` for
 * the value) and returns false for an unknown one, which throws.
 */
export function readOptions(
  argv: string[],
  common: { dryRun: boolean; yes: boolean; help: boolean },
  take: (flag: string, value: () => string) => boolean,
): void {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? ''
    const [flag = a, inline] =
      a.startsWith('--') && a.includes('=') ? a.split(/=(.*)/s) : [a, undefined]
    const value = () => {
      if (inline !== undefined) return inline
      const v = argv[++i]
      if (v === undefined) throw new Error(`Option ${flag} needs a value`)
      return v
    }
    if (flag === '--dry-run') common.dryRun = true
    else if (flag === '--yes' || flag === '-y') common.yes = true
    else if (flag === '--help' || flag === '-h') common.help = true
    else if (!take(flag, value)) throw new Error(`Unknown option ${a}`)
  }
}

/**
 * Asks before a command writes, unless `--yes` or `--dry-run`: false (exit code 2 for the
 * caller) when declined, or when there is no terminal to ask and `--yes` is missing.
 */
export async function confirmWrite(
  question: string,
  args: { yes: boolean; dryRun: boolean },
  options: {
    err: { write(text: string): void }
    confirm?: (question: string) => Promise<boolean>
  },
): Promise<boolean> {
  if (args.dryRun || args.yes) return true
  if (!options.confirm) {
    options.err.write(
      `${question}\nNot a terminal: pass --yes to confirm (or --dry-run to look first).\n`,
    )
    return false
  }
  if (await options.confirm(`${question} [y/N] `)) return true
  options.err.write('Cancelled.\n')
  return false
}

/** Parses `argv` (the arguments after the command). Throws on unknown or incomplete options. */
export function parseImportArgs(argv: string[]): ImportArgs {
  const args: ImportArgs = {
    from: '',
    dryRun: false,
    prefixOld: '',
    yes: false,
    initJson: null,
    help: false,
  }
  readOptions(argv, args, (flag, value) => {
    switch (flag) {
      case '--from':
        args.from = value()
        break
      case '--prefix-old':
        args.prefixOld = value()
        break
      case '--init-json':
        args.initJson = value()
        break
      default:
        return false
    }
    return true
  })
  if (!args.help && !args.from) throw new Error('Missing --from <redis url of the old system>')
  if (args.from && !/^rediss?:\/\//.test(args.from))
    throw new Error(`--from must be a redis:// or rediss:// URL, got "${args.from}"`)
  return args
}

/** Runtime capabilities the command needs. */
export interface ImportRuntime {
  openSqlite(path: string): SqlDatabase
  /** Secrets file access; the importer only reads it (never generates or writes secrets). */
  secretFiles: SecretFileAccess
  ensureDir(path: string): void
  fileExists(path: string): boolean
  readFile(path: string): string
  hasher: PasswordHasher
  /** DNS of the outbound URL policy the account URLs are checked with (none: names pass). */
  resolveHost?: HostResolver
}

/** Inputs of {@link runImport}. */
export interface RunImportOptions {
  args: ImportArgs
  env: Record<string, string | undefined>
  runtime: ImportRuntime
  /** Summary lines (stdout). */
  out: (line: string) => void
  /** Progress and errors (stderr); the bar is drawn only when `isTTY`. */
  err: { write(text: string): void; isTTY: boolean }
  /** Asks a yes/no question (interactive terminals); without it `--yes` is required. */
  confirm?: (question: string) => Promise<boolean>
  /** Stores to import into instead of the configured ones (tests). */
  stores?: Stores
  /** Usage text for `--help` (default: the npm script's). */
  usage?: string
  now?: () => number
}

/** The URL with its password hidden. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@')
  }
}

/** Ledger id of a source: host:port/db, plus the old prefix. */
export function sourceId(url: string, prefixOld: string): string {
  const u = new URL(url)
  const db = u.pathname.replace(/^\//, '') || '0'
  return `${u.hostname}:${u.port || '6379'}/${db}${prefixOld ? `#${prefixOld}` : ''}`
}

/** Draws a progress bar on a terminal, or prints a plain line every few seconds otherwise. */
export function createProgress(
  err: { write(text: string): void; isTTY: boolean },
  now: () => number = Date.now,
): ProgressSink {
  let phase = ''
  let total = 0
  let n = 0
  let last = 0
  const draw = (force: boolean) => {
    const t = now()
    if (err.isTTY) {
      if (!force && t - last < 100) return
      last = t
      const pct = total > 0 ? Math.min(1, n / total) : 0
      const width = 30
      const fill = Math.round(pct * width)
      err.write(
        `\r\x1b[2K${phase} [${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${Math.round(pct * 100)}% ${n}/${total}`,
      )
    } else if (t - last >= 5000) {
      last = t
      err.write(`${phase}: ${n}/${total}\n`)
    }
  }
  return {
    start(p, t) {
      phase = p
      total = t
      n = 0
      if (err.isTTY) draw(true)
      else last = now()
    },
    tick(k = 1) {
      n += k
      draw(false)
    },
    done() {
      if (err.isTTY) {
        n = Math.max(n, total)
        draw(true)
        err.write('\n')
      }
    },
  }
}

/** Renders a report as text lines. */
export function formatReport(report: ImportReport, target: string): string[] {
  const lines: string[] = []
  lines.push(
    `claude-relay-service import from ${report.source} into ${target}${report.dryRun ? ' (DRY RUN: nothing was written)' : ''}`,
  )
  lines.push(`old keys scanned: ${report.scannedKeys}`)
  lines.push('')
  const head = ['', 'imported', 'updated', 'unchanged', 'skipped']
  const rows = Object.entries(report.kinds).map(([kind, r]) => [
    kind,
    String(r.imported),
    String(r.updated),
    String(r.unchanged),
    String(Object.values(r.skipped).reduce((a, b) => a + b, 0)),
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const fmt = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')
  lines.push(fmt(head))
  for (const r of rows) lines.push(fmt(r))
  const skipped = Object.entries(report.kinds).flatMap(([kind, r]) =>
    Object.entries(r.skipped).map(([reason, n]) => `  ${kind}: ${n} × ${reason}`),
  )
  if (skipped.length) lines.push('', 'skipped:', ...skipped)
  const ignored = Object.entries(report.ignored).sort((a, b) => b[1] - a[1])
  if (ignored.length)
    lines.push(
      '',
      `old keys not imported (sessions, indexes, runtime state): ${ignored.map(([f, n]) => `${f} ${n}`).join(', ')}`,
    )
  if (report.refusedUrls.length) {
    lines.push(
      '',
      `account URLs refused by the outbound URL policy (imported as not schedulable; allow them with UPSTREAM_ALLOW_HOSTS and run again, or edit the account):`,
    )
    for (const r of report.refusedUrls)
      lines.push(`  - ${r.name} (${r.accountId}) ${r.field} ${r.value}`)
  }
  if (report.notes.length) {
    lines.push('', 'notes:')
    const shown = report.notes.slice(0, 50)
    for (const n of shown) lines.push(`  - ${n}`)
    if (report.notes.length > shown.length)
      lines.push(`  … and ${report.notes.length - shown.length} more`)
  }
  return lines
}

/** Runs the import command; resolves to the exit code and the report (when it ran). */
export async function runImport(
  options: RunImportOptions,
): Promise<{ code: number; report?: ImportReport }> {
  const { args, runtime, out, err } = options
  if (args.help) {
    out(options.usage ?? IMPORT_USAGE)
    return { code: 0 }
  }
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig(options.env)
  } catch (e) {
    err.write(`${e instanceof ConfigError ? e.message : String(e)}\n`)
    return { code: 1 }
  }
  // Never write secrets.json from here: a generated ENCRYPTION_KEY could not match the old one.
  const secrets = resolveSecrets(config, { ...runtime.secretFiles, writePrivate: () => {} })
  if (secrets.generated.includes('ENCRYPTION_KEY')) {
    err.write(
      "ENCRYPTION_KEY is not set: set it to the old system's ENCRYPTION_KEY (and use the same value for this relay), otherwise imported keys and account secrets cannot work.\n",
    )
    return { code: 1 }
  }
  let initJson: { adminUsername: string; adminPassword: string } | null = null
  if (args.initJson) {
    try {
      const parsed = JSON.parse(runtime.readFile(args.initJson)) as Record<string, unknown>
      initJson = {
        adminUsername: String(parsed.adminUsername ?? ''),
        adminPassword: String(parsed.adminPassword ?? ''),
      }
    } catch (e) {
      err.write(`Cannot read ${args.initJson}: ${e instanceof Error ? e.message : String(e)}\n`)
      return { code: 1 }
    }
  }

  const choice = chooseStorage(config, runtime.secretFiles.join)
  const target =
    choice.kind === 'redis'
      ? `redis ${maskUrl(choice.url)} (prefix ${choice.prefix})`
      : `sqlite ${choice.path}`
  const question = `Import from ${maskUrl(args.from)} into ${target}?`
  if (!(await confirmWrite(question, args, options))) return { code: 2 }

  const logger = createLogger({ level: 'warn', sink: { write: (l) => err.write(`${l}\n`) } })
  let stores = options.stores
  let ownStores = false
  if (!stores) {
    ownStores = true
    // Nothing to compare with yet, and a dry run must not create the database file.
    stores = (await openStores(choice, runtime, { logger, dryRun: args.dryRun })).stores
  }
  let old: OldRedis | null = null
  try {
    // The prices the relay uses (bundled table plus PRICING_FILE), and the URL policy it applies.
    const prices = await loadPricing({
      config,
      logger,
      filePriceSource: (path) => ({ read: async () => runtime.readFile(path) }),
    })
    prices.stop() // loaded once: no reloading during an import
    const { pricing } = prices
    const urlPolicy = createUrlPolicy({
      allowHosts: config.UPSTREAM_ALLOW_HOSTS,
      denyHosts: config.UPSTREAM_DENY_HOSTS,
      allowPrivate: config.UPSTREAM_ALLOW_PRIVATE,
      resolve: runtime.resolveHost ?? (async () => []),
      trustedUrls: [config.CLAUDE_API_URL, config.CLAUDE_OAUTH_TOKEN_URL],
    })
    old = await connectOldRedis(args.from)
    const report = await importFromOld({
      old,
      oldPrefix: args.prefixOld,
      source: sourceId(args.from, args.prefixOld),
      stores,
      encryptionKey: secrets.encryptionKey,
      box: createSecretBox(secrets.encryptionKey),
      hasher: runtime.hasher,
      tzOffsetHours: config.TIMEZONE_OFFSET,
      retentionMs: config.TOKEN_USAGE_RETENTION,
      dryRun: args.dryRun,
      adminEnvDigest: secrets.adminPasswordFromFile ? null : await sha256Hex(secrets.adminPassword),
      initJson,
      now: options.now,
      progress: createProgress(err, options.now),
      pricing,
      urlPolicy,
    })
    report.source = maskUrl(args.from) + (args.prefixOld ? ` (prefix "${args.prefixOld}")` : '')
    for (const line of formatReport(report, target)) out(line)
    return { code: 0, report }
  } catch (e) {
    err.write(`Import failed: ${e instanceof Error ? e.message : String(e)}\n`)
    return { code: 1 }
  } finally {
    await old?.close()
    if (ownStores) await stores.close()
  }
}
