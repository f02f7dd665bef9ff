/**
 * @module
 * Secrets that may be left unset: JWT_SECRET, ENCRYPTION_KEY and the admin credentials. Missing
 * ones are generated once, written to `DATA_DIR/secrets.json` with mode 0600 and reused on every
 * later start, so `npm start` works with no configuration and keeps working across restarts.
 */
import { randomBase64Url, randomHex } from '../core/crypto.ts'
import type { Config } from './schema.ts'

/** File access the secrets loader needs (runtime/ implements it). */
export interface SecretFileAccess {
  read(path: string): string | null
  /** Writes atomically with file mode 0600, creating the directory. */
  writePrivate(path: string, content: string): void
  join(dir: string, file: string): string
}

/** Secrets as stored in secrets.json (generated values only). */
interface SecretFile {
  jwtSecret?: string
  encryptionKey?: string
  adminUsername?: string
  adminPassword?: string
}

/** The effective secrets and where each came from. */
export interface ResolvedSecrets {
  jwtSecret: string
  encryptionKey: string
  adminUsername: string
  adminPassword: string
  /** Path of the secrets file. */
  file: string
  /** Names generated during this call (printed once by the caller). */
  generated: ('JWT_SECRET' | 'ENCRYPTION_KEY' | 'ADMIN_PASSWORD')[]
  /** True when the admin password came from secrets.json rather than ADMIN_PASSWORD. */
  adminPasswordFromFile: boolean
}

/** Fills in missing secrets from secrets.json, generating and persisting what is still missing. */
export function resolveSecrets(config: Config, files: SecretFileAccess): ResolvedSecrets {
  const file = files.join(config.DATA_DIR, 'secrets.json')
  const text = files.read(file)
  let stored: SecretFile = {}
  if (text) {
    try {
      stored = JSON.parse(text) as SecretFile
    } catch {
      throw new Error(`Cannot read ${file}: it is not valid JSON (fix or remove it)`)
    }
  }
  const generated: ResolvedSecrets['generated'] = []
  const next: SecretFile = { ...stored }
  if (!config.JWT_SECRET && !stored.jwtSecret) {
    next.jwtSecret = randomHex(32)
    generated.push('JWT_SECRET')
  }
  if (!config.ENCRYPTION_KEY && !stored.encryptionKey) {
    next.encryptionKey = randomHex(32)
    generated.push('ENCRYPTION_KEY')
  }
  if (!config.ADMIN_PASSWORD && !stored.adminPassword) {
    next.adminUsername = config.ADMIN_USERNAME ?? 'admin'
    next.adminPassword = randomBase64Url(18)
    generated.push('ADMIN_PASSWORD')
  }
  if (generated.length > 0) files.writePrivate(file, `${JSON.stringify(next, null, 2)}\n`)
  return {
    jwtSecret: config.JWT_SECRET ?? next.jwtSecret!,
    encryptionKey: config.ENCRYPTION_KEY ?? next.encryptionKey!,
    adminUsername: config.ADMIN_USERNAME ?? next.adminUsername ?? 'admin',
    adminPassword: config.ADMIN_PASSWORD ?? next.adminPassword!,
    file,
    generated,
    adminPasswordFromFile: !config.ADMIN_PASSWORD,
  }
}
