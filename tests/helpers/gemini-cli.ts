/**
 * Runs the real Gemini CLI (`@google/gemini-cli` from node_modules) headless: `gemini -p …` with a
 * scratch HOME (its settings written there), no stdin, a trusted scratch workspace and every
 * outside call sent to a refusing proxy (only loopback is reached directly).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const CLI = join(import.meta.dir, '../../node_modules/@google/gemini-cli/bundle/gemini.js')

/** The CLI's exit code and output. */
export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

/** Runs `gemini -p prompt` with `env` (plus the sandboxing variables) and `settings`. */
export async function runGeminiCli(
  prompt: string,
  env: Record<string, string>,
  settings: Record<string, unknown>,
  timeoutMs = 120_000,
): Promise<CliRun> {
  const home = mkdtempSync(join(tmpdir(), 'crs-gemini-home-'))
  mkdirSync(join(home, '.gemini'))
  writeFileSync(join(home, '.gemini/settings.json'), JSON.stringify(settings))
  const work = mkdtempSync(join(tmpdir(), 'crs-gemini-work-'))
  const proc = Bun.spawn(['node', CLI, '-p', prompt], {
    cwd: work,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      GEMINI_CLI_TRUST_WORKSPACE: 'true',
      // Outside calls (telemetry, update checks) go to a closed port; the relay is on loopback.
      HTTPS_PROXY: 'http://127.0.0.1:9',
      HTTP_PROXY: 'http://127.0.0.1:9',
      NO_PROXY: '127.0.0.1,localhost',
      NO_COLOR: '1',
      ...env,
    },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const timer = setTimeout(() => proc.kill(), timeoutMs)
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ])
  clearTimeout(timer)
  return { code, stdout, stderr }
}
