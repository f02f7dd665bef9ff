/**
 * Runs the real Droid CLI (`droid` from node_modules) headless: `droid exec -m custom:… prompt`
 * with one custom model in a scratch HOME's `.factory/settings.json`, no stdin, and every outside
 * call sent to a refusing proxy (only loopback is reached directly).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './net.ts'

const CLI = join(import.meta.dir, '../../node_modules/.bin/droid')

/** The custom model the CLI is given (Factory's `customModels` entry). */
export interface DroidCustomModel {
  model: string
  displayName: string
  baseUrl: string
  apiKey: string
  provider: 'anthropic' | 'openai'
}

/** Runs `droid exec` with `custom` as model `custom:<displayName with dashes>-0`. */
export async function runDroidCli(
  custom: DroidCustomModel,
  prompt = 'Say hello',
  timeoutMs = 120_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const home = mkdtempSync(join(tmpdir(), 'droid-cli-'))
  mkdirSync(join(home, '.factory'))
  mkdirSync(join(home, 'work'))
  writeFileSync(
    join(home, '.factory', 'settings.json'),
    JSON.stringify({ customModels: [{ ...custom, maxOutputTokens: 8192 }] }),
  )
  const closed = await freePort()
  const model = `custom:${custom.displayName.replaceAll(' ', '-')}-0`
  const proc = Bun.spawn([CLI, 'exec', '-m', model, prompt], {
    cwd: join(home, 'work'),
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      HTTPS_PROXY: `http://127.0.0.1:${closed}`,
      HTTP_PROXY: `http://127.0.0.1:${closed}`,
      NO_PROXY: '127.0.0.1,localhost',
    },
  })
  const timer = setTimeout(() => proc.kill(), timeoutMs)
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  clearTimeout(timer)
  if (code !== 0) console.error(stdout, stderr)
  return { code, stdout, stderr }
}
