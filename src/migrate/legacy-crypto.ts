/**
 * @module
 * Decryption of secrets stored by claude-relay-service: AES-256-CBC under
 * scrypt(ENCRYPTION_KEY, salt, 32) (N=16384, r=8, p=1), stored as `<iv hex>:<ciphertext hex>`;
 * salt `salt` for OAuth accounts and `claude-console-salt` for console accounts. Older OAuth data
 * used Node's removed `createDecipher('aes-256-cbc', ENCRYPTION_KEY)` (OpenSSL EVP_BytesToKey with
 * MD5, no salt) over hex ciphertext; that form is decoded here too. node:crypto runs on Bun and Deno.
 */
import { createDecipheriv, createHash, scryptSync } from 'node:crypto'

/** Salt of OAuth account secrets in the old system. */
export const OAUTH_SALT = 'salt'
/** Salt of console account secrets in the old system. */
export const CONSOLE_SALT = 'claude-console-salt'

/** How a stored value was read. */
export type LegacyScheme = 'empty' | 'scrypt' | 'legacy' | 'plain'

/** A decrypted value, or why it could not be decrypted. */
export type LegacyResult =
  | { ok: true; value: string; scheme: LegacyScheme }
  | { ok: false; error: string }

const derived = new Map<string, Buffer>()

/** scrypt(ENCRYPTION_KEY, salt, 32) with Node's default cost, cached per key and salt. */
export function legacyKey(encryptionKey: string, salt: string): Buffer {
  const id = `${salt}\u0000${encryptionKey}`
  let key = derived.get(id)
  if (!key) {
    key = scryptSync(encryptionKey, salt, 32, { N: 16384, r: 8, p: 1 })
    derived.set(id, key)
  }
  return key
}

/** OpenSSL EVP_BytesToKey(MD5, no salt, 1 round): the key and IV of the old createDecipher. */
export function evpBytesToKey(password: string): { key: Buffer; iv: Buffer } {
  const pass = Buffer.from(password, 'utf8')
  const parts: Buffer[] = []
  let prev = Buffer.alloc(0)
  let total = 0
  while (total < 48) {
    prev = createHash('md5')
      .update(Buffer.concat([prev, pass]))
      .digest()
    parts.push(prev)
    total += prev.length
  }
  const all = Buffer.concat(parts)
  return { key: all.subarray(0, 32), iv: all.subarray(32, 48) }
}

function cbcDecrypt(key: Buffer, iv: Buffer, data: Buffer): string {
  const decipher = createDecipheriv('aes-256-cbc', key, iv)
  const out = Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8')
  if (out.includes('\uFFFD')) throw new Error('decrypted bytes are not UTF-8')
  return out
}

const HEX = /^[0-9a-f]+$/i

/**
 * Decrypts one stored value the way the old system did. A value without `:` that is not legacy
 * ciphertext is returned unchanged (`plain`), as the old code did; a value in the `iv:cipher` form
 * that does not decrypt is an error (usually a different ENCRYPTION_KEY).
 */
export function decryptLegacy(
  stored: string | undefined,
  encryptionKey: string,
  salt: string,
  options: { allowLegacy?: boolean } = {},
): LegacyResult {
  if (!stored) return { ok: true, value: '', scheme: 'empty' }
  const parts = stored.split(':')
  if (parts.length === 2 && HEX.test(parts[0] ?? '') && (parts[0] ?? '').length === 32) {
    try {
      const value = cbcDecrypt(
        legacyKey(encryptionKey, salt),
        Buffer.from(parts[0] ?? '', 'hex'),
        Buffer.from(parts[1] ?? '', 'hex'),
      )
      return { ok: true, value, scheme: 'scrypt' }
    } catch (err) {
      return {
        ok: false,
        error: `cannot decrypt (${err instanceof Error ? err.message : String(err)}); is ENCRYPTION_KEY the old system's?`,
      }
    }
  }
  if (options.allowLegacy !== false && HEX.test(stored) && stored.length % 32 === 0) {
    try {
      const { key, iv } = evpBytesToKey(encryptionKey)
      return { ok: true, value: cbcDecrypt(key, iv, Buffer.from(stored, 'hex')), scheme: 'legacy' }
    } catch {
      // not legacy ciphertext: the old code then used the value as it was
    }
  }
  return { ok: true, value: stored, scheme: 'plain' }
}
