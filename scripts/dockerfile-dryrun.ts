/**
 * Runs the Dockerfile's steps without Docker (no engine on the development machines): each stage
 * gets a clean directory standing in for /app; COPY copies from the build context or an earlier
 * stage, RUN runs the same shell command there, ENV is collected. Then the final stage's CMD is
 * started and must serve /health and /web. Used by tests/integration/dockerfile.test.ts.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

const root = join(import.meta.dir, '..')

/** One instruction of a Dockerfile (continuation lines joined). */
export interface Instruction {
  op: string
  args: string
}

/** Parses instructions, joining `\` continuations and dropping comments. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = []
  let buf = ''
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd()
    if (!buf && (line.trim().startsWith('#') || line.trim() === '')) continue
    buf += line.endsWith('\\') ? `${line.slice(0, -1)} ` : line
    if (line.endsWith('\\')) continue
    const m = /^\s*([A-Z]+)\s+(.*)$/.exec(buf)
    if (m) out.push({ op: m[1]!, args: m[2]!.trim() })
    buf = ''
  }
  return out
}

/** Executes the stages; returns the final stage directory, its ENV and its CMD. */
export function runStages(dockerfile: string): {
  dir: string
  env: Record<string, string>
  cmd: string[]
  /** The final ENTRYPOINT (exec form), empty when there is none. */
  entrypoint: string[]
} {
  const stages = new Map<string, string>()
  const stageEnv = new Map<string, Record<string, string>>()
  let dir = ''
  let env: Record<string, string> = {}
  let cmd: string[] = []
  let entrypoint: string[] = []
  for (const ins of parseDockerfile(readFileSync(dockerfile, 'utf8'))) {
    switch (ins.op) {
      case 'FROM': {
        dir = mkdtempSync(join(tmpdir(), 'crs-docker-stage-'))
        // `FROM <earlier stage>` starts from that stage's files and environment.
        const base = stages.get(ins.args.split(/\s+/)[0]!)
        if (base) cpSync(base, dir, { recursive: true })
        env = { ...(base ? stageEnv.get(base) : {}) }
        const name = /\bAS\s+(\S+)/i.exec(ins.args)?.[1]
        if (name) stages.set(name, dir)
        stageEnv.set(dir, env)
        break
      }
      case 'ENV':
        for (const m of ins.args.matchAll(/(\w+)=("[^"]*"|\S+)/g))
          env[m[1]!] = m[2]!.replace(/^"|"$/g, '')
        break
      case 'COPY': {
        const parts = ins.args.split(/\s+/)
        const from = parts[0]!.startsWith('--from=') ? parts.shift()!.slice(7) : null
        const dest = parts.pop()!
        const base = from ? stages.get(from) : root
        if (!base) throw new Error(`COPY --from=${from}: unknown stage`)
        for (const src of parts) {
          const srcPath = from ? join(base, src.replace(/^\/app\/?/, '')) : join(base, src)
          const target = join(
            dir,
            dest.replace(/^\/app\/?/, '').replace(/^\.\/?/, ''),
            dest.endsWith('/') && !from ? src.split('/').pop()! : '',
          )
          mkdirSync(dirname(target), { recursive: true })
          cpSync(srcPath, target, { recursive: true })
        }
        break
      }
      case 'RUN': {
        // Commands run as root in the image; here, paths under /app map to the stage directory and
        // ownership changes are skipped (the test runs as the current user).
        const command = ins.args.replaceAll('/app/', `${dir}/`).replace(/&&\s*chown[^&]*/g, '')
        const r = Bun.spawnSync(['sh', '-c', command], {
          cwd: dir,
          stdout: 'inherit',
          stderr: 'inherit',
          env: { ...process.env, ...env },
        })
        if (r.exitCode !== 0) throw new Error(`RUN ${ins.args}: exit ${r.exitCode}`)
        break
      }
      case 'CMD':
        cmd = JSON.parse(ins.args) as string[]
        break
      case 'ENTRYPOINT':
        entrypoint = JSON.parse(ins.args) as string[]
        break
    }
  }
  return { dir, env, cmd, entrypoint }
}
