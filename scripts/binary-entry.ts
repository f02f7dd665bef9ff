/**
 * Entry of the single binary: `claude-relay-service` serves the relay (web UI embedded);
 * `claude-relay-service import-crs --from redis://…` runs the importer, and
 * `claude-relay-service copy-store --to …` copies its storage into another store.
 * `--help` and `--version` print and exit; anything else unknown is refused before the server
 * starts (it would create ./data and print a new admin password).
 */
import pkg from '../package.json' with { type: 'json' }

/** How the binary is called in help texts. */
export const BINARY = 'claude-relay-service'

/** The binary's own help text. */
export const BINARY_USAGE = `Usage: ${BINARY} [command] [options]

Without a command, serves the Claude relay: the API under /api (Anthropic SDKs, Claude Code with
ANTHROPIC_BASE_URL=http://host:3000/api), the admin web UI at /web, the API docs at /openapi.
Settings come from the environment (PORT, HOST, DATA_DIR, REDIS_URL…; see the README); with no
Redis configured it keeps everything in SQLite under ./data, where missing secrets and the admin
password are generated once and printed.

Commands:
  import-crs    import a claude-relay-service Redis (${BINARY} import-crs --help)
  copy-store    copy this relay's storage into another store (${BINARY} copy-store --help)

Options:
  -h, --help       this text
  -v, --version    the version`

/** What the arguments ask for. */
export type BinaryAction =
  | { kind: 'serve' }
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'import-crs' | 'copy-store'; argv: string[] }
  | { kind: 'error'; message: string }

/** Reads the arguments after the binary's name. */
export function binaryAction(argv: string[]): BinaryAction {
  const [first, ...rest] = argv
  if (first === undefined) return { kind: 'serve' }
  if (first === '-h' || first === '--help' || first === 'help') return { kind: 'help' }
  if (first === '-v' || first === '--version' || first === 'version') return { kind: 'version' }
  if (first === 'import-crs' || first === 'copy-store') return { kind: first, argv: rest }
  return {
    kind: 'error',
    message: first.startsWith('-') ? `Unknown option ${first}` : `Unknown command ${first}`,
  }
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json',
  svg: 'image/svg+xml',
  png: 'image/png',
  br: 'application/octet-stream',
  gz: 'application/octet-stream',
}

async function run(): Promise<void> {
  const action = binaryAction(process.argv.slice(2))
  switch (action.kind) {
    case 'help':
      console.log(BINARY_USAGE)
      return
    case 'version':
      console.log(`${BINARY} ${pkg.version}`)
      return
    case 'error':
      console.error(`${action.message}\n\n${BINARY_USAGE}`)
      process.exit(2)
      return
    case 'import-crs': {
      const { importCommand } = await import('./import-crs.ts')
      process.exit(await importCommand(action.argv, `${BINARY} import-crs`))
      return
    }
    case 'copy-store': {
      const { copyCommand } = await import('./copy-store.ts')
      process.exit(await copyCommand(action.argv, `${BINARY} copy-store`))
      return
    }
    case 'serve': {
      const { files } = await import('../dist/binary/embedded-web.ts')
      const { main } = await import('../src/main.ts')
      await main(async (path) => {
        const embedded = files[path]
        if (!embedded) return null
        return {
          body: Bun.file(embedded),
          type: TYPES[path.split('.').pop() ?? ''] ?? 'application/octet-stream',
        }
      })
    }
  }
}

if (import.meta.main) await run()
