import { describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../../src/config/load.ts'
import { resolveSecrets } from '../../../src/config/secrets.ts'
import { localSecretFiles } from '../../../src/runtime/bun.ts'

describe('resolveSecrets', () => {
  test('generates missing secrets once, with mode 0600, and reuses them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crs-secrets-'))
    const config = loadConfig({ DATA_DIR: dir })
    const first = resolveSecrets(config, localSecretFiles)
    expect(first.generated.sort()).toEqual(['ADMIN_PASSWORD', 'ENCRYPTION_KEY', 'JWT_SECRET'])
    expect(first.encryptionKey).toMatch(/^[0-9a-f]{64}$/)
    expect(first.adminUsername).toBe('admin')
    expect(first.adminPassword.length).toBeGreaterThanOrEqual(20)
    expect(statSync(first.file).mode & 0o777).toBe(0o600)
    const second = resolveSecrets(config, localSecretFiles)
    expect(second.generated).toEqual([])
    expect(second).toMatchObject({
      jwtSecret: first.jwtSecret,
      encryptionKey: first.encryptionKey,
      adminPassword: first.adminPassword,
    })
  })

  test('variables that are set win and are never written to the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crs-secrets-'))
    const env = {
      DATA_DIR: dir,
      JWT_SECRET: 'j'.repeat(40),
      ENCRYPTION_KEY: 'e'.repeat(32),
      ADMIN_PASSWORD: 'hunter22-long',
    }
    const s = resolveSecrets(loadConfig(env), localSecretFiles)
    expect(s.generated).toEqual([])
    expect(s.jwtSecret).toBe(env.JWT_SECRET)
    expect(s.encryptionKey).toBe(env.ENCRYPTION_KEY)
    expect(s.adminPassword).toBe(env.ADMIN_PASSWORD)
    expect(() => readFileSync(s.file)).toThrow()
  })
})
