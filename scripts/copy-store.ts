/**
 * @module
 * `npm run copy-store -- --to redis://host:6379/0 [--to-cluster] [--dry-run] [--yes]`: copies
 * the storage this relay is configured for into another store. The logic lives in
 * src/migrate/; this file only wires the Bun runtime.
 */
import { COPY_USAGE, parseCopyArgs, runCopy } from '../src/cli/copy-store.ts'
import { argsOrExit, io, storeRuntime, terminalConfirm } from './cli-io.ts'

const { code } = await runCopy({
  args: argsOrExit(parseCopyArgs, COPY_USAGE),
  env: process.env,
  runtime: storeRuntime,
  ...io,
  confirm: terminalConfirm,
})
process.exit(code)
