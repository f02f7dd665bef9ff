/**
 * Runs the real Codex CLI (`node_modules/@openai/codex`) the way the relay's users set it up: a
 * scratch HOME whose `~/.codex/config.toml` names the relay as a custom model provider
 * (`base_url` = the relay's `/openai`, `env_key` = the variable holding the `cr_` key,
 * `wire_api = "responses"`), no standard input, and every outside call (update checks,
 * analytics) sent to a proxy that refuses connections, so the run stays offline.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './net.ts'

const CODEX = join(import.meta.dir, '../../node_modules/@openai/codex/bin/codex.js')

/** The config.toml of a Codex set-up that talks to the relay at `relayUrl`. */
export function codexConfig(relayUrl: string, model: string, extra = ''): string {
  return [
    `model = "${model}"`,
    'model_provider = "crs"',
    '',
    '[model_providers.crs]',
    'name = "Claude Relay Service"',
    `base_url = "${relayUrl}/openai"`,
    'env_key = "CRS_API_KEY"',
    'wire_api = "responses"',
    extra,
    '',
  ].join('\n')
}

/** What a Codex run printed and how it ended. */
export interface CodexRun {
  code: number
  stdout: string
  stderr: string
}

/** Runs `codex exec <prompt>` against the relay with `key`. */
export async function runCodex(options: {
  relayUrl: string
  key: string
  prompt: string
  model?: string
  /** More lines for the provider table (e.g. `supports_websockets = true`). */
  providerExtra?: string
  timeoutMs?: number
}): Promise<CodexRun> {
  const home = mkdtempSync(join(tmpdir(), 'crs-codex-'))
  const codexHome = join(home, '.codex')
  const work = join(home, 'work')
  mkdirSync(codexHome, { recursive: true })
  mkdirSync(work)
  writeFileSync(
    join(codexHome, 'config.toml'),
    codexConfig(options.relayUrl, options.model ?? 'gpt-5-codex', options.providerExtra),
  )
  // A port nothing listens on: outside calls fail at once instead of leaving the machine.
  const refusing = `http://127.0.0.1:${await freePort()}`
  const proc = Bun.spawn(
    [process.execPath, CODEX, 'exec', '--skip-git-repo-check', options.prompt],
    {
      cwd: work,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: home,
        CODEX_HOME: codexHome,
        CRS_API_KEY: options.key,
        HTTPS_PROXY: refusing,
        HTTP_PROXY: refusing,
        ALL_PROXY: refusing,
        https_proxy: refusing,
        http_proxy: refusing,
        NO_PROXY: '127.0.0.1,localhost',
        no_proxy: '127.0.0.1,localhost',
        RUST_LOG: 'error',
      },
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
    },
  )
  const timer = setTimeout(() => proc.kill(), options.timeoutMs ?? 90_000)
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  clearTimeout(timer)
  return { code, stdout, stderr }
}
