/**
 * @module
 * `npm run import-crs -- --from redis://host:6379/0 [--dry-run] [--prefix-old ''] [--yes]`:
 * imports a claude-relay-service Redis into the storage this relay is configured for. The logic
 * lives in src/cli/ and src/migrate/; this file only wires the Bun runtime. The single binary runs it as
 * `claude-relay-service import-crs …` (scripts/binary-entry.ts).
 */
import { readFileSync } from 'node:fs'
import { importUsage, parseImportArgs, runImport } from '../src/cli/import-crs.ts'
import { bunPasswordHasher } from '../src/runtime/bun.ts'
import { argsOrExit, io, storeRuntime, terminalConfirm } from './cli-io.ts'

/** Runs the importer with `argv` (after the command); `invokedAs` names it in the help text. */
export async function importCommand(argv: string[], invokedAs: string): Promise<number> {
  const usage = importUsage(invokedAs)
  const { code } = await runImport({
    args: argsOrExit(parseImportArgs, usage, argv),
    env: process.env,
    runtime: {
      ...storeRuntime,
      readFile: (path) => readFileSync(path, 'utf8'),
      hasher: bunPasswordHasher,
    },
    ...io,
    confirm: terminalConfirm,
    usage,
  })
  return code
}

if (import.meta.main)
  process.exit(await importCommand(process.argv.slice(2), 'npm run import-crs --'))
