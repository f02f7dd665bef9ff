/**
 * @module
 * `npm run import-crs -- --from redis://host:6379/0 [--dry-run] [--prefix-old ''] [--yes]`:
 * imports a claude-relay-service Redis into the storage this relay is configured for. The logic
 * lives in src/migrate/; this file only wires the Bun runtime.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createInterface } from 'node:readline/promises'
import { IMPORT_USAGE, parseImportArgs, runImport } from '../src/migrate/cli.ts'
import {
  bunPasswordHasher,
  ensureDir,
  localSecretFiles,
  openBunSqlite,
} from '../src/runtime/bun.ts'

let args: ReturnType<typeof parseImportArgs>
try {
  args = parseImportArgs(process.argv.slice(2))
} catch (err) {
  console.error(`${err instanceof Error ? err.message : String(err)}\n\n${IMPORT_USAGE}`)
  process.exit(2)
}

const confirm = process.stdin.isTTY
  ? async (question: string) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr })
      try {
        return /^y(es)?$/i.test((await rl.question(question)).trim())
      } finally {
        rl.close()
      }
    }
  : undefined

const { code } = await runImport({
  args,
  env: process.env,
  runtime: {
    openSqlite: openBunSqlite,
    secretFiles: localSecretFiles,
    ensureDir,
    fileExists: existsSync,
    readFile: (path) => readFileSync(path, 'utf8'),
    hasher: bunPasswordHasher,
  },
  out: (line) => console.log(line),
  err: { write: (text) => process.stderr.write(text), isTTY: process.stderr.isTTY === true },
  confirm,
})
process.exit(code)
