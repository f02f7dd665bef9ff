/**
 * @module
 * Every account kind the admin API serves, each under its own path (the seed's), with the
 * schema of its own body fields and how they map to {@link AccountInput}. A platform adds its
 * kinds here with {@link accountKind}; their CRUD, health and test routes come from
 * `admin-accounts-routes.ts`, their bodies and answers are in `/openapi`.
 */
import type { Static, TObject, TProperties } from '@sinclair/typebox'
import type { AccountAdmin } from '../accounts/admin.ts'
import type { AccountPlatform } from '../accounts/model.ts'
import type { AccountInput, AccountService } from '../accounts/service.ts'
import type { Config } from '../config/schema.ts'
import type { CoordRepository } from '../coord/repository.ts'
import type { Clock, FetchFn } from '../core/ports.ts'
import type { UrlPolicy } from '../security/url-policy.ts'
import {
  accountInputOf,
  type Body,
  claudeConsoleFields,
  claudeOAuthFields,
  geminiApiFields,
  geminiOAuthFields,
} from './account-input.ts'
import type { AdminGuardDeps } from './admin-guard.ts'
import { OPENAI_ACCOUNT_KINDS } from './openai-account-input.ts'
import { bedrockFields, droidFields } from './platform-account-fields.ts'
import {
  accountBody,
  CLAUDE_CONSOLE_FIELDS,
  CLAUDE_OAUTH_FIELDS,
  type CommonAccountBody,
} from './schemas/accounts.ts'
import { GEMINI_API_FIELDS, GEMINI_OAUTH_FIELDS } from './schemas/gemini-accounts.ts'
import { BEDROCK_FIELDS, DROID_FIELDS } from './schemas/platform-accounts.ts'

/** What a kind's sign-in (onboarding) controller needs beyond its own token handling. */
export interface OnboardingRouteDeps {
  guard: AdminGuardDeps
  admin: AccountAdmin
  accounts: AccountService
  config: Config
  coord: CoordRepository
  clock: Clock
  /** The plain upstream fetch (wrapped by a proxy for onboarding sessions). */
  fetch: FetchFn
  /** Checks the URLs and proxies the admin names (absent: no checks). */
  urlPolicy?: UrlPolicy
}

/** One account kind's admin path, its own body fields and how they map to {@link AccountInput}. */
export interface AccountKindRoute {
  /** e.g. `/claude-console-accounts` (under `/admin`). */
  path: string
  platform: AccountPlatform
  /** Shown in docs and messages, e.g. `Claude Console`. */
  label: string
  /**
   * The create and edit body: the shared fields and the kind's own (other fields pass through).
   * Absent: the shared fields only.
   */
  body?: TObject
  /** The kind's own fields of a body (the shared ones are read for every kind). */
  fields: (body: Body) => AccountInput
}

/**
 * An account kind from its own body fields (`own`, TypeBox properties; none: no schema of its
 * own, every field passes through) and a mapper typed by them.
 */
export function accountKind<P extends TProperties>(kind: {
  path: string
  platform: AccountPlatform
  label: string
  own?: P
  fields: (body: Static<TObject<P>> & CommonAccountBody) => AccountInput
}): AccountKindRoute {
  const { own, fields, ...rest } = kind
  return {
    ...rest,
    body: accountBody(own ?? {}),
    fields: fields as (body: Body) => AccountInput,
  }
}

/** The create and edit body of a kind. */
export function kindBody(kind: AccountKindRoute): TObject {
  return kind.body ?? accountBody({})
}

/** The {@link AccountInput} of a body that passed {@link kindBody} (the shared fields and its own). */
export function kindInput(kind: AccountKindRoute, body: Body): AccountInput {
  return accountInputOf(body as CommonAccountBody & Body, kind.fields)
}

/** Every account kind, in the order the docs list them. */
export const ACCOUNT_KINDS: AccountKindRoute[] = [
  accountKind({
    path: '/claude-accounts',
    platform: 'claude-oauth',
    label: 'Claude OAuth',
    own: CLAUDE_OAUTH_FIELDS,
    fields: claudeOAuthFields,
  }),
  accountKind({
    path: '/claude-console-accounts',
    platform: 'claude-console',
    label: 'Claude Console',
    own: CLAUDE_CONSOLE_FIELDS,
    fields: claudeConsoleFields,
  }),
  accountKind({
    path: '/bedrock-accounts',
    platform: 'bedrock',
    label: 'Bedrock',
    own: BEDROCK_FIELDS,
    fields: bedrockFields,
  }),
  accountKind({
    path: '/ccr-accounts',
    platform: 'ccr',
    label: 'CCR',
    own: CLAUDE_CONSOLE_FIELDS,
    fields: claudeConsoleFields,
  }),
  accountKind({
    path: '/droid-accounts',
    platform: 'droid',
    label: 'Droid',
    own: DROID_FIELDS,
    fields: droidFields,
  }),
  ...OPENAI_ACCOUNT_KINDS.map((k) => accountKind(k)),
  accountKind({
    path: '/gemini-api-accounts',
    platform: 'gemini-api',
    label: 'Gemini API',
    own: GEMINI_API_FIELDS,
    fields: geminiApiFields,
  }),
  accountKind({
    path: '/gemini-accounts',
    platform: 'gemini-oauth',
    label: 'Gemini (Google login)',
    own: GEMINI_OAUTH_FIELDS,
    fields: geminiOAuthFields,
  }),
]
