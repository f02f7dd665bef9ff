/**
 * @module
 * Every account kind the admin API serves, each under its own path (the seed's), and how its own
 * body fields map to {@link AccountInput}. A platform adds its kinds here; their CRUD, health and
 * test routes come from `admin-accounts-routes.ts`.
 */
import type { AccountPlatform } from '../accounts/model.ts'
import type { AccountInput } from '../accounts/service.ts'
import { type Body, claudeConsoleFields, claudeOAuthFields } from './account-input.ts'

/** One account kind's admin path and how its own body fields map to {@link AccountInput}. */
export interface AccountKindRoute {
  /** e.g. `/claude-console-accounts` (under `/admin`). */
  path: string
  platform: AccountPlatform
  /** Shown in docs and messages, e.g. `Claude Console`. */
  label: string
  /** The kind's own fields of a seed-shaped body (the shared ones are read for every kind). */
  fields: (body: Body) => AccountInput
}

/** Every account kind, in the order the docs list them. */
export const ACCOUNT_KINDS: AccountKindRoute[] = [
  {
    path: '/claude-accounts',
    platform: 'claude-oauth',
    label: 'Claude OAuth',
    fields: claudeOAuthFields,
  },
  {
    path: '/claude-console-accounts',
    platform: 'claude-console',
    label: 'Claude Console',
    fields: claudeConsoleFields,
  },
]
