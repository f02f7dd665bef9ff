/**
 * @module
 * The API key record. Field names follow the system we replace (so its admin API payloads and
 * imported data map one to one), with real types instead of strings.
 */
import { type Static, Type as T } from '@sinclair/typebox'
import { literals } from '../core/schema.ts'

/** What a key may call: every platform, or one family of routes (the seed's values). */
export const KeyPermission = literals('all', 'claude', 'openai', 'gemini', 'droid')
export type KeyPermission = Static<typeof KeyPermission>

/** A stored API key. The plaintext key is never stored; `hash` = SHA-256(key + ENCRYPTION_KEY). */
export const ApiKey = T.Object({
  id: T.String(),
  name: T.String({ minLength: 1, maxLength: 100 }),
  description: T.String({ default: '' }),
  hash: T.String({ pattern: '^[0-9a-f]{64}$' }),
  /** Display hint such as `cr_12ab…9f0e`; not enough to use the key. */
  hint: T.String({ default: '' }),
  isActive: T.Boolean({ default: true }),
  isDeleted: T.Boolean({ default: false }),
  deletedAt: T.Union([T.String(), T.Null()], { default: null }),
  createdAt: T.String(),
  updatedAt: T.String(),
  lastUsedAt: T.Union([T.String(), T.Null()], { default: null }),
  createdBy: T.String({ default: 'admin' }),
  /** `fixed`: expires at expiresAt; `activation`: expiresAt is set on first use. */
  expirationMode: T.Union([T.Literal('fixed'), T.Literal('activation')], { default: 'fixed' }),
  expiresAt: T.Union([T.String(), T.Null()], { default: null }),
  activationDays: T.Integer({ minimum: 0, default: 30 }),
  activationUnit: T.Union([T.Literal('hours'), T.Literal('days')], { default: 'days' }),
  isActivated: T.Boolean({ default: false }),
  activatedAt: T.Union([T.String(), T.Null()], { default: null }),
  permissions: T.Union([KeyPermission], { default: 'all' }),
  tags: T.Array(T.String(), { default: [] }),
  /** Limits; 0 means unlimited. Costs are in USD. */
  concurrencyLimit: T.Integer({ minimum: 0, default: 0 }),
  rateLimitWindow: T.Integer({ minimum: 0, default: 0, description: 'minutes' }),
  rateLimitRequests: T.Integer({ minimum: 0, default: 0 }),
  tokenLimit: T.Integer({ minimum: 0, default: 0, description: 'tokens per rate window' }),
  rateLimitCost: T.Number({ minimum: 0, default: 0, description: 'USD per rate window' }),
  dailyCostLimit: T.Number({ minimum: 0, default: 0 }),
  totalCostLimit: T.Number({ minimum: 0, default: 0 }),
  weeklyOpusCostLimit: T.Number({ minimum: 0, default: 0 }),
  enableModelRestriction: T.Boolean({ default: false }),
  /** `deny`: restrictedModels are refused; `allow`: only restrictedModels are allowed. */
  modelRestrictionMode: T.Union([T.Literal('deny'), T.Literal('allow')], { default: 'deny' }),
  restrictedModels: T.Array(T.String(), { default: [] }),
  enableClientRestriction: T.Boolean({ default: false }),
  allowedClients: T.Array(T.String(), { default: [] }),
  /**
   * Bindings per family (the seed's field names and value forms): an account id, `group:<id>`,
   * or a prefixed id (`responses:<id>`, `api:<id>`); empty = shared pool. Claude routes use
   * the Claude OAuth or Console binding first, then Bedrock.
   */
  claudeAccountId: T.String({ default: '' }),
  claudeConsoleAccountId: T.String({ default: '' }),
  bedrockAccountId: T.String({ default: '' }),
  openaiAccountId: T.String({ default: '' }),
  azureOpenaiAccountId: T.String({ default: '' }),
  geminiAccountId: T.String({ default: '' }),
  droidAccountId: T.String({ default: '' }),
})
export type ApiKey = Static<typeof ApiKey>
