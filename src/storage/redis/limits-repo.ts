/**
 * @module
 * Redis adapter of the LimitsRepository. Admission is one Lua script call over keys that share
 * the key's `{k:<keyId>}` hash tag; leases are ZSETs scored by expiry; the rate window is a HASH.
 */
import type {
  AdmitRejection,
  AdmitRequest,
  AdmitResult,
  LimitsRepository,
} from '../../limits/repository.ts'
import { execAll, type RedisClient, spread, toInt } from './client.ts'
import type { RedisKeys } from './keys.ts'

/** Builds the KEYS and ARGV of the admit script for a request. */
export function admitArgs(keys: RedisKeys, req: AdmitRequest): (string | number)[] {
  const caps = req.costCaps ?? []
  const scriptKeys = [
    keys.keyLeases(req.keyId),
    keys.keyWindow(req.keyId),
    keys.sticky(req.keyId, req.sessionHash ?? ''),
    ...caps.map((cap) => keys.counter('key', req.keyId, cap.period)),
  ]
  const argv: (string | number)[] = [
    req.now,
    req.leaseId,
    req.concurrency ? req.concurrency.limit : -1,
    req.concurrency ? req.concurrency.leaseMs : 0,
    req.window ? req.window.lengthMs : 0,
    req.window ? req.window.maxRequests : 0,
    req.window ? req.window.maxTokens : 0,
    req.window ? req.window.maxCostNanos : 0,
    caps.length,
    req.sessionHash ? 1 : 0,
  ]
  for (const cap of caps) argv.push(cap.name, cap.limitNanos, cap.resetAt ?? '')
  return [scriptKeys.length, ...scriptKeys, ...argv]
}

/** Decodes the admit script's reply. */
export function decodeAdmitReply(reply: unknown): AdmitResult {
  if (!Array.isArray(reply)) throw new Error('unexpected admit reply')
  if (reply[0] === 1) {
    return {
      ok: true,
      stickyAccountId: typeof reply[1] === 'string' ? reply[1] : null,
      windowStart: toInt(reply[2]),
      concurrency: toInt(reply[3]),
    }
  }
  return {
    ok: false,
    reason: String(reply[1]) as AdmitRejection,
    limit: toInt(reply[2]),
    current: toInt(reply[3]),
    resetAt: reply[4] == null ? null : toInt(reply[4]),
  }
}

/** Creates the Redis LimitsRepository. */
export function createLimitsRepo(client: RedisClient, keys: RedisKeys): LimitsRepository {
  return {
    async admit(req) {
      const [numKeys, ...rest] = admitArgs(keys, req)
      return decodeAdmitReply(await client.crsAdmit(Number(numKeys), ...rest))
    },

    async release(keyId, leaseId) {
      return (await client.zrem(keys.keyLeases(keyId), leaseId)) > 0
    },

    async renew(leases, leaseMs, now) {
      if (leases.length === 0) return
      const pipe = spread(client)
      for (const l of leases) pipe.crsRenewLease(keys.keyLeases(l.keyId), l.leaseId, now, leaseMs)
      await execAll(pipe)
    },

    async countLeases(keyId, now) {
      return client.zcount(keys.keyLeases(keyId), `(${now}`, '+inf')
    },

    async addWindowUsage(items, batchId) {
      if (items.length === 0) return
      const pipe = spread(client)
      for (const item of items) {
        pipe.crsAddWindowUsage(
          keys.keyWindow(item.keyId),
          item.windowStart,
          Math.round(item.tokens),
          Math.round(item.costNanos),
          batchId ?? '',
        )
      }
      await execAll(pipe)
    },

    async getWindow(keyId, lengthMs, now) {
      const hash = await client.hgetall(keys.keyWindow(keyId))
      if (hash.start === undefined) return null
      const start = toInt(hash.start)
      if (now - start >= lengthMs) return null
      return {
        start,
        requests: toInt(hash.requests),
        tokens: toInt(hash.tokens),
        costNanos: toInt(hash.costNanos),
      }
    },

    async acquireAccountLease(accountId, leaseId, limit, leaseMs, now) {
      const key = keys.accountLeases(accountId)
      return (await client.crsAcquireAccountLease(key, leaseId, limit, leaseMs, now)) === 1
    },

    async releaseAccountLease(accountId, leaseId) {
      return (await client.zrem(keys.accountLeases(accountId), leaseId)) > 0
    },

    async countAccountLeases(accountId, now) {
      return client.zcount(keys.accountLeases(accountId), `(${now}`, '+inf')
    },

    async claimSticky(keyId, sessionHash, accountId, ttlMs) {
      return client.crsClaimSticky(keys.sticky(keyId, sessionHash), accountId, Math.max(1, ttlMs))
    },
    async setSticky(keyId, sessionHash, accountId, ttlMs) {
      await client.set(keys.sticky(keyId, sessionHash), accountId, 'PX', Math.max(1, ttlMs))
    },

    async getSticky(keyId, sessionHash) {
      return client.get(keys.sticky(keyId, sessionHash))
    },

    async deleteSticky(keyId, sessionHash) {
      await client.del(keys.sticky(keyId, sessionHash))
    },
  }
}
