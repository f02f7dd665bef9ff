/** Builders of valid records for tests. */
import { Value } from '@sinclair/typebox/value'
import {
  type Account,
  type AccountGroup,
  Account as AccountSchema,
} from '../../src/accounts/model.ts'
import type { HistoryRecord } from '../../src/history/model.ts'
import { ApiKey } from '../../src/keys/model.ts'
import type { RequestOutcome } from '../../src/relay/recorder.ts'

let seq = 0
const iso = (ms = Date.now()) => new Date(ms).toISOString()

/** A valid API key record with overrides. */
export function makeKey(overrides: Partial<ApiKey> = {}): ApiKey {
  seq++
  const id = overrides.id ?? crypto.randomUUID()
  const base = Value.Default(ApiKey, {
    id,
    name: `key-${seq}`,
    hash: (crypto.randomUUID().replaceAll('-', '') + crypto.randomUUID().replaceAll('-', '')).slice(
      0,
      64,
    ),
    createdAt: iso(Date.now() + seq),
    updatedAt: iso(),
  }) as ApiKey
  return { ...base, ...overrides }
}

/** A valid account record with overrides. */
export function makeAccount(overrides: Partial<Account> = {}): Account {
  seq++
  const base = Value.Default(AccountSchema, {
    id: crypto.randomUUID(),
    platform: 'claude-console',
    name: `account-${seq}`,
    secret: 'v1.sealed.secret',
    createdAt: iso(Date.now() + seq),
    updatedAt: iso(),
  }) as Account
  return { ...base, ...overrides }
}

/** A valid group. */
export function makeGroup(overrides: Partial<AccountGroup> = {}): AccountGroup {
  seq++
  return {
    id: crypto.randomUUID(),
    name: `group-${seq}`,
    platform: 'claude',
    description: '',
    createdAt: iso(Date.now() + seq),
    updatedAt: iso(),
    ...overrides,
  }
}

/** A valid history record with overrides. */
export function makeHistory(overrides: Partial<HistoryRecord> = {}): HistoryRecord {
  seq++
  const start = overrides.startTime ?? Date.now()
  return {
    id: `req_${crypto.randomUUID().replaceAll('-', '')}`,
    startTime: start,
    endTime: start + 100,
    durationMs: 100,
    ttfbMs: 20,
    overheadMs: 0.3,
    platform: 'claude-console',
    keyId: 'k1',
    keyName: 'Key One',
    accountId: 'a1',
    accountName: 'Account One',
    model: 'claude-sonnet-4-5',
    stream: true,
    endpoint: '/v1/messages',
    userAgent: 'test',
    status: 200,
    outcome: 'success',
    errorType: '',
    errorMessage: '',
    inputTokens: 10,
    outputTokens: 20,
    cacheCreate5mTokens: 0,
    cacheCreate1hTokens: 0,
    cacheReadTokens: 0,
    costNanos: 1000,
    tries: 1,
    requestBody: '{"messages":[]}',
    responseBody: 'hello',
    requestHeaders: { 'user-agent': 'test', 'x-api-key': '[REDACTED]' },
    attempts: [],
    ...overrides,
  }
}

/** Resolves after `ms` real milliseconds (only for backend TTLs that cannot be faked). */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** A finished successful streamed request (as the relay reports it) with overrides. */
export function makeOutcome(
  overrides: Partial<RequestOutcome> & Pick<RequestOutcome, 'key' | 'startTime'>,
): RequestOutcome {
  return {
    requestId: `req_${crypto.randomUUID().replaceAll('-', '')}`,
    endpoint: '/v1/messages',
    dialect: 'anthropic',
    requestedModel: overrides.model ?? 'claude-sonnet-4-6',
    upstreamModel: overrides.model ?? 'claude-sonnet-4-6',
    model: 'claude-sonnet-4-6',
    platform: '',
    stream: true,
    userAgent: '',
    endTime: overrides.startTime + 1000,
    ttfbMs: 10,
    overheadMs: 0.2,
    accountId: '',
    accountName: '',
    status: 200,
    outcome: 'success',
    errorType: '',
    errorMessage: '',
    usage: {
      inputTokens: 100,
      outputTokens: 50,
      cacheCreate5mTokens: 10,
      cacheCreate1hTokens: 0,
      cacheReadTokens: 5,
    },
    billable: true,
    costNanos: 0,
    priced: true,
    longContext: false,
    attempts: [],
    requestBody: '',
    requestBodyBytes: 0,
    responseBody: '',
    responseBodyBytes: 0,
    responseTruncated: false,
    windowStart: 0,
    ...overrides,
  }
}
