/**
 * @module
 * `npm run import-crs -- --from redis://host:6379/0 [--dry-run] [--prefix-old ''] [--yes]`:
 * imports a claude-relay-service Redis into the storage this relay is configured for. The logic
 * lives in src/migrate/; this file only wires the Bun runtime.
 */
import { readFileSync } from 'node:fs'
import { IMPORT_USAGE, parseImportArgs, runImport } from '../src/cli/import-crs.ts'
import { bunPasswordHasher } from '../src/runtime/bun.ts'
import { argsOrExit, io, storeRuntime, terminalConfirm } from './cli-io.ts'

const { code } = await runImport({
  args: argsOrExit(parseImportArgs, IMPORT_USAGE),
  env: process.env,
  runtime: {
    ...storeRuntime,
    readFile: (path) => readFileSync(path, 'utf8'),
    hasher: bunPasswordHasher,
  },
  ...io,
  confirm: terminalConfirm,
})
process.exit(code)
