/**
 * @module
 * `npm run copy-store -- --to redis://host:6379/0 [--to-cluster] [--dry-run] [--yes]`: copies
 * the storage this relay is configured for into another store. The logic lives in
 * src/cli/ and src/migrate/; this file only wires the Bun runtime. The single binary runs it as
 * `claude-relay-service copy-store …` (scripts/binary-entry.ts).
 */
import { copyUsage, parseCopyArgs, runCopy } from '../src/cli/copy-store.ts'
import { argsOrExit, io, storeRuntime, terminalConfirm } from './cli-io.ts'

/** Runs the store copy with `argv` (after the command); `invokedAs` names it in the help text. */
export async function copyCommand(argv: string[], invokedAs: string): Promise<number> {
  const usage = copyUsage(invokedAs)
  const { code } = await runCopy({
    args: argsOrExit(parseCopyArgs, usage, argv),
    env: process.env,
    runtime: storeRuntime,
    ...io,
    confirm: terminalConfirm,
    usage,
  })
  return code
}

if (import.meta.main)
  process.exit(await copyCommand(process.argv.slice(2), 'npm run copy-store --'))
