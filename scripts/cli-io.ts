/**
 * @module
 * Wiring shared by the command scripts (import-crs, copy-store): parse the arguments or exit 2
 * with the usage text, a yes/no prompt when stdin is a terminal, stdout/stderr, and the Bun
 * runtime pieces that open the configured stores.
 */
import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline/promises'
import { ensureDir, localSecretFiles, openBunSqlite } from '../src/runtime/bun.ts'
import { dnsResolver } from '../src/runtime/dns.ts'

/** Parses the arguments after the command, or prints the error and `usage` and exits with 2. */
export function argsOrExit<T>(
  parse: (argv: string[]) => T,
  usage: string,
  argv = process.argv.slice(2),
): T {
  try {
    return parse(argv)
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${usage}`)
    process.exit(2)
  }
}

/** Asks a yes/no question on the terminal; undefined when stdin is not one. */
export const terminalConfirm = process.stdin.isTTY
  ? async (question: string) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr })
      try {
        return /^y(es)?$/i.test((await rl.question(question)).trim())
      } finally {
        rl.close()
      }
    }
  : undefined

/** Where a command writes its summary (stdout) and its progress and errors (stderr). */
export const io = {
  out: (line: string) => console.log(line),
  err: {
    write: (text: string) => process.stderr.write(text),
    isTTY: process.stderr.isTTY === true,
  },
}

/** What the commands need of the runtime to open the configured stores. */
export const storeRuntime = {
  openSqlite: openBunSqlite,
  secretFiles: localSecretFiles,
  ensureDir,
  fileExists: existsSync,
  resolveHost: dnsResolver,
}
