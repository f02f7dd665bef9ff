/**
 * @module
 * Pure mapping of the old system's Bedrock, CCR and Droid accounts to ours. Bedrock accounts are
 * one JSON string (`bedrock_account:<id>`) whose `awsCredentials` is `{encrypted, iv}`: AES-256-CBC
 * under SHA-256(ENCRYPTION_KEY); CCR (`ccr_account:<id>`) and Droid (`droid:account:<id>`) are
 * hashes of strings whose secrets use the scrypt scheme with their own salts. The old system's
 * error states caused by its bugs are not carried over as health marks.
 */
import { createDecipheriv, createHash } from 'node:crypto'
import type { Account, AccountSecrets } from '../accounts/model.ts'
import { decryptLegacy } from './legacy-crypto.ts'
import { mapConsoleAccount } from './map.ts'
import { type MapContext, type Mapped, type MappedAccount, mapProxy } from './map-account.ts'
import { oldInt, oldIso, oldJson, oldRecord } from './read-old.ts'

/** Old key prefixes of the account kinds mapped here, by our platform. */
export const PLATFORM_ACCOUNT_PREFIXES = {
  'bedrock_account:': 'bedrock',
  'ccr_account:': 'ccr',
  'droid:account:': 'droid',
} as const

/** Salt of CCR account secrets in the old system. */
export const CCR_SALT = 'ccr-account-salt'
/** Salt of Droid account secrets in the old system. */
export const DROID_SALT = 'droid-account-salt'

const EPOCH = new Date(0).toISOString()

/** Decrypts the old Bedrock `{encrypted, iv}` (key SHA-256 of ENCRYPTION_KEY); plaintext objects pass. */
export function decryptBedrockCredentials(
  value: unknown,
  encryptionKey: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  const v = value as { encrypted?: unknown; iv?: unknown; accessKeyId?: unknown } | null
  if (!v || typeof v !== 'object') return { ok: false, error: 'no awsCredentials' }
  if (typeof v.accessKeyId === 'string') return { ok: true, value: v as Record<string, unknown> }
  if (typeof v.encrypted !== 'string' || typeof v.iv !== 'string')
    return { ok: false, error: 'awsCredentials is neither {encrypted, iv} nor plaintext' }
  try {
    const key = createHash('sha256').update(encryptionKey).digest()
    const d = createDecipheriv('aes-256-cbc', key, Buffer.from(v.iv, 'hex'))
    const text = Buffer.concat([d.update(Buffer.from(v.encrypted, 'hex')), d.final()]).toString(
      'utf8',
    )
    return { ok: true, value: JSON.parse(text) as Record<string, unknown> }
  } catch (err) {
    return {
      ok: false,
      error: `cannot decrypt (${err instanceof Error ? err.message : String(err)}); is ENCRYPTION_KEY the old system's?`,
    }
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v : '')

function base(id: string, name: unknown, createdAt: unknown, groupIds: string[]) {
  const created = oldIso(str(createdAt)) ?? EPOCH
  return {
    id,
    name: (str(name).trim() || id).slice(0, 100),
    groupIds: [...groupIds].sort(),
    createdAt: created,
    tokenExpiresAt: 0,
    scopes: [] as string[],
    userAgent: '',
    proxy: null,
    supportedModels: [] as string[],
    maxConcurrency: 0,
    subscriptionInfo: null,
    extInfo: null,
  }
}

/** Maps `bedrock_account:<id>` (a JSON document). */
export function mapBedrockAccount(
  id: string,
  json: string,
  groupIds: string[],
  encryptionKey: string,
): Mapped<MappedAccount> {
  const doc = oldRecord(json)
  if (!doc) return { ok: false, reason: 'not a JSON document' }
  const notes: string[] = []
  const creds = decryptBedrockCredentials(doc.awsCredentials, encryptionKey)
  const secrets: AccountSecrets = {}
  if (creds.ok) {
    secrets.awsAccessKeyId = str(creds.value.accessKeyId)
    secrets.awsSecretAccessKey = str(creds.value.secretAccessKey)
    if (str(creds.value.sessionToken)) secrets.awsSessionToken = str(creds.value.sessionToken)
  } else if (doc.awsCredentials) return { ok: false, reason: `awsCredentials: ${creds.error}` }
  if (!secrets.awsSecretAccessKey)
    return {
      ok: false,
      reason: 'no AWS credentials (the old system then used its own environment’s)',
    }
  const accountType = doc.accountType === 'dedicated' ? 'dedicated' : 'shared'
  const defaultModel = str(doc.defaultModel)
  if (defaultModel)
    notes.push(
      `defaultModel ${defaultModel} now only stands in for non-Claude model names: clients get the model they ask for`,
    )
  const b = base(id, doc.name, doc.createdAt, groupIds)
  const account: Omit<Account, 'secret'> = {
    ...b,
    platform: 'bedrock',
    description: str(doc.description),
    apiUrl: '',
    priority: Math.min(100, Math.max(1, Math.floor(Number(doc.priority)) || 50)),
    schedulable: doc.schedulable !== false && doc.schedulable !== 'false',
    isActive: doc.isActive !== false && doc.isActive !== 'false',
    accountType,
    options: {
      region: str(doc.region) || 'us-east-1',
      ...(defaultModel ? { defaultModel } : {}),
    },
    updatedAt: oldIso(str(doc.updatedAt)) ?? b.createdAt,
  }
  return { ok: true, value: { account, secrets, state: {} }, notes }
}

/** Maps `ccr_account:<id>`: a Console-like account with its own salt (a key that does not decrypt is kept as it is, as the old system did). */
export function mapCcrAccount(
  id: string,
  h: Record<string, string>,
  ctx: MapContext,
): Mapped<MappedAccount> {
  const key = decryptLegacy(h.apiKey, ctx.encryptionKey, CCR_SALT, { allowLegacy: false })
  const apiKey = key.ok ? key.value : (h.apiKey ?? '')
  if (!apiKey) return { ok: false, reason: 'no apiKey' }
  // The Console mapper reads everything else (URL, models, proxy…); the key is the CCR one.
  const withKey = mapConsoleAccount(id, { ...h, apiKey: 'x' }, ctx)
  if (!withKey.ok) return withKey
  const notes = [...withKey.notes]
  if (!key.ok) notes.push('apiKey did not decrypt: kept as stored (as the old system used it)')
  // The old CCR states were stuck until an admin reset; ours end by themselves, so none is kept.
  return {
    ok: true,
    value: {
      account: { ...withKey.value.account, platform: 'ccr' },
      secrets: { ...withKey.value.secrets, apiKey },
      state: {},
    },
    notes,
  }
}

/** Maps `droid:account:<id>`: Factory API keys (each sealed with the Droid salt) or WorkOS tokens. */
export function mapDroidAccount(
  id: string,
  h: Record<string, string>,
  groupIds: string[],
  encryptionKey: string,
): Mapped<MappedAccount> {
  const notes: string[] = []
  const dec = (v: string | undefined) => decryptLegacy(v, encryptionKey, DROID_SALT)
  const secrets: AccountSecrets = {}
  const entries = oldJson(h.apiKeys)
  const keys: string[] = []
  let failed = 0
  let errored = 0
  if (Array.isArray(entries))
    for (const e of entries as Record<string, unknown>[]) {
      const r = dec(str(e?.encryptedKey))
      if (!r.ok || !r.value) failed++
      else keys.push(r.value)
      if (e?.status === 'error') errored++
    }
  keys.forEach((k, i) => {
    secrets[i === 0 ? 'apiKey' : `apiKey_${i}`] = k
  })
  if (failed) notes.push(`${failed} Factory API keys did not decrypt: left out`)
  if (errored)
    notes.push(
      `${errored} Factory API keys were marked as failing by the old system (after any upstream 4xx): imported in service`,
    )
  for (const f of ['accessToken', 'refreshToken'] as const) {
    const r = dec(h[f])
    if (r.ok && r.value) secrets[f] = r.value
    else if (!r.ok) notes.push(`${f} did not decrypt: left out`)
  }
  if (!keys.length && !secrets.accessToken && !secrets.refreshToken)
    return { ok: false, reason: 'no Factory API key or token that decrypts' }
  const { proxy, password, note } = mapProxy(h.proxy)
  if (note) notes.push(note)
  if (password) secrets.proxyPassword = password
  const endpointType = ['anthropic', 'openai', 'comm'].includes(h.endpointType ?? '')
    ? h.endpointType
    : 'anthropic'
  const accountType =
    h.accountType === 'dedicated' || h.accountType === 'group' ? h.accountType : 'shared'
  const disabledByBug = h.status === 'error' && h.schedulable === 'false'
  if (disabledByBug)
    notes.push(
      `was taken out of service by the old system (${(h.errorMessage ?? '').slice(0, 80)}): imported in service`,
    )
  const b = base(id, h.name, h.createdAt, groupIds)
  const account: Omit<Account, 'secret'> = {
    ...b,
    platform: 'droid',
    description: h.description ?? '',
    apiUrl: '',
    proxy,
    priority: Math.min(100, Math.max(1, oldInt(h.priority, 50) || 50)),
    schedulable: disabledByBug || h.schedulable !== 'false',
    isActive: h.isActive !== 'false',
    accountType: accountType as Account['accountType'],
    options: { endpointType },
    updatedAt: oldIso(h.updatedAt) ?? b.createdAt,
  }
  return { ok: true, value: { account, secrets, state: {} }, notes }
}
