/**
 * @module
 * Identifiers: request ids shaped like Anthropic's (`req_…`), and record ids.
 */

/** base64url's 64 characters in ASCII order, so ids compare as strings in the order they were made. */
const SORTED64 = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz'

/** Random bytes drawn in blocks: one `getRandomValues` call serves many ids. */
const pool = new Uint8Array(4096)
let poolAt = pool.length

/**
 * A new request id: `req_`, 8 characters of the millisecond clock, then 12 random characters
 * (72 bits), e.g. `req_0Pz3kTqA…`. Ids made later sort later (to the millisecond), so the history
 * index on them grows at its end instead of touching a random page per insert: at 120,000 records
 * a random id made each SQLite insert about 60% dearer. The random part keeps ids unguessable.
 */
export function newRequestId(now = Date.now()): string {
  let id = 'req_'
  // 48 bits of milliseconds (until the year 10889), most significant first.
  const high = Math.floor(now / 2 ** 24)
  const low = now % 2 ** 24
  for (let shift = 18; shift >= 0; shift -= 6) id += SORTED64[(high >>> shift) & 63]
  for (let shift = 18; shift >= 0; shift -= 6) id += SORTED64[(low >>> shift) & 63]
  if (poolAt + 12 > pool.length) {
    crypto.getRandomValues(pool)
    poolAt = 0
  }
  for (let i = 0; i < 12; i++) id += SORTED64[pool[poolAt++]! & 63]
  return id
}

/** A new record id (UUID v4). */
export function newId(): string {
  return crypto.randomUUID()
}
