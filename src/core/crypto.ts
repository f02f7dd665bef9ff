/**
 * @module
 * Hashing, random ids and authenticated encryption on Web Crypto (SHA-256 through node:crypto,
 * which Bun, Deno and Node share), so the same code runs on Bun and Deno. Secrets are encrypted
 * with AES-256-GCM under a key derived from ENCRYPTION_KEY (HKDF-SHA-256); the stored form is
 * `v1.<iv>.<ciphertext+tag>` in base64url.
 */

import { createHash } from 'node:crypto'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Hex of SHA-256 over the UTF-8 bytes of `text`, synchronously (the relay hashes twice a request). */
export function sha256HexSync(text: string): string {
  // node:crypto (Bun, Deno and Node all have it): ~1 µs, where Web Crypto's digest round trip
  // through a worker thread measured ~11 µs on Bun.
  return createHash('sha256').update(text).digest('hex')
}

/** Hex of SHA-256 over the UTF-8 bytes of `text`. */
export function sha256Hex(text: string): Promise<string> {
  return Promise.resolve(sha256HexSync(text))
}

/** Hex encoding of bytes. */
export function toHex(bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) out += b.toString(16).padStart(2, '0')
  return out
}

/** `n` random bytes as hex. */
export function randomHex(n: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(n)))
}

/** base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  let bin = ''
  for (const b of bytes) bin += String.fromCharCode(b)
  return btoa(bin).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

/** Decodes base64url (with or without padding). */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replaceAll('-', '+').replaceAll('_', '/')
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4))
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

/** `n` random bytes as base64url. */
export function randomBase64Url(n: number): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(n)))
}

/** Compares two strings in time independent of where they differ. */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a)
  const y = encoder.encode(b)
  let diff = x.length ^ y.length
  const n = Math.max(x.length, y.length)
  for (let i = 0; i < n; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0)
  return diff === 0
}

/** Encrypts and decrypts account secrets. */
export interface SecretBox {
  encrypt(plain: string): Promise<string>
  decrypt(sealed: string): Promise<string>
}

/** Creates a SecretBox keyed from ENCRYPTION_KEY with HKDF-SHA-256. */
export function createSecretBox(encryptionKey: string): SecretBox {
  const keyPromise = (async () => {
    const material = await crypto.subtle.importKey(
      'raw',
      encoder.encode(encryptionKey),
      'HKDF',
      false,
      ['deriveKey'],
    )
    return crypto.subtle.deriveKey(
      {
        name: 'HKDF',
        hash: 'SHA-256',
        salt: encoder.encode('crs-bun/secret-box'),
        info: encoder.encode('aes-256-gcm v1'),
      },
      material,
      { name: 'AES-GCM', length: 256 },
      false,
      ['encrypt', 'decrypt'],
    )
  })()
  return {
    async encrypt(plain) {
      const iv = crypto.getRandomValues(new Uint8Array(12))
      const ct = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv },
        await keyPromise,
        encoder.encode(plain),
      )
      return `v1.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ct))}`
    },
    async decrypt(sealed) {
      const [version, iv, ct] = sealed.split('.')
      if (version !== 'v1' || !iv || !ct) throw new Error('Cannot decrypt secret: unknown format')
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: fromBase64Url(iv) },
        await keyPromise,
        fromBase64Url(ct),
      )
      return decoder.decode(plain)
    },
  }
}
