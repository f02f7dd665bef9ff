/**
 * @module
 * The admin's operations on accounts of any kind, with their rules: group ids must exist, URLs
 * and proxy hosts the admin types pass the outbound URL policy, an account is only found under
 * its own kind's routes, and deleting an account unbinds every key bound to it (in any family's
 * binding field). Answers are {@link accountView}s.
 */
import { type Static, Type as T, type TObject } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { InvalidRequestError, NotFoundError } from '../core/errors.ts'
import type { Clock } from '../core/ports.ts'
import { bindingCounts, fieldsBoundTo } from '../keys/bindings.ts'
import type { KeyService } from '../keys/service.ts'
import type { UrlPolicy } from '../security/url-policy.ts'
import { createGroupService } from './groups.ts'
import { AccountGroup, type AccountPlatform, type AccountState } from './model.ts'
import type { AccountRepository } from './repository.ts'
import type { AccountInput, AccountService, PoolEntry } from './service.ts'
import { type AccountView, accountView, type ViewContext } from './views.ts'

/** What the account admin needs. */
export interface AccountAdminDeps {
  accounts: AccountService
  keys: KeyService
  groupRepo: Pick<AccountRepository, 'putGroup' | 'getGroup' | 'listGroups' | 'deleteGroup'>
  clock: Clock
  /** Checks URLs and proxy hosts the admin enters (absent: no checks). */
  urlPolicy?: UrlPolicy
  /** The shape of a kind's `options` (its adapter's), checked on every write. */
  optionsSchema?: (platform: AccountPlatform) => TObject | undefined
}

/** Throws a 400 naming the first field of `options` that does not fit `schema`. */
export function checkOptions(schema: TObject | undefined, options: Record<string, unknown>): void {
  if (!schema) return
  const first = Value.Errors(schema, options).First()
  if (first)
    throw new InvalidRequestError(
      `Invalid account field options${first.path.replaceAll('/', '.')}: ${first.message}`,
    )
}

/** A group of the list: its member count and the live keys bound to it. */
export const GroupListItem = T.Composite([
  AccountGroup,
  T.Object({ memberCount: T.Integer(), boundKeys: T.Integer() }),
])
export type GroupListItem = Static<typeof GroupListItem>

/** One group with its member ids. */
export const GroupDetail = T.Composite([
  AccountGroup,
  T.Object({ memberCount: T.Integer(), memberIds: T.Array(T.String()) }),
])
export type GroupDetail = Static<typeof GroupDetail>

/** Creates the account admin. */
export function createAccountAdmin(deps: AccountAdminDeps) {
  const { accounts, keys, clock } = deps
  const groups = createGroupService({
    repo: deps.groupRepo,
    accounts,
    clock,
    keyBindings: () => keys.list(),
    unbindKey: async (id, field) => {
      await keys.update(id, { [field]: '' })
    },
  })

  async function context(): Promise<ViewContext> {
    const [keyList, groupList] = await Promise.all([keys.list(), deps.groupRepo.listGroups()])
    return {
      counts: bindingCounts(keyList),
      groups: new Map(groupList.map((g) => [g.id, g])),
      now: clock.now(),
    }
  }

  /** A fresh entry of account `id` (of `platform` when given), or a 404. */
  async function entryOf(id: string, platform?: AccountPlatform): Promise<PoolEntry> {
    const e = await accounts.readEntry(id)
    if (!e || (platform && e.account.platform !== platform))
      throw new NotFoundError(`Cannot find account "${id}"`)
    return e
  }

  async function viewOf(id: string): Promise<AccountView> {
    return accountView(await entryOf(id), await context())
  }

  /** The outbound URL policy for what the admin entered (apiUrl, proxy host): a 400 if refused. */
  async function checkUrls(input: {
    apiUrl?: string
    proxy?: { host?: unknown; port?: unknown } | null
  }) {
    const policy = deps.urlPolicy
    if (!policy) return
    if (typeof input.apiUrl === 'string' && /^https?:\/\//i.test(input.apiUrl))
      await policy.assertUrl('apiUrl', input.apiUrl)
    if (input.proxy && typeof input.proxy.host === 'string' && input.proxy.host.trim())
      await policy.assertProxyHost('proxy.host', input.proxy.host, Number(input.proxy.port))
  }

  async function checkInput(input: AccountInput, platform?: AccountPlatform): Promise<void> {
    if (input.groupIds) await groups.assertExist(input.groupIds, platform)
    await checkUrls(input)
  }

  return {
    groups,
    context,
    entryOf,
    viewOf,
    checkUrls,
    checkInput,
    /** Accounts of `platform` (members of `groupId` when given), as views. */
    async list(platform: AccountPlatform, groupId?: string): Promise<AccountView[]> {
      const ctx = await context()
      return (await accounts.readEntries())
        .filter(
          (e) =>
            e.account.platform === platform && (!groupId || e.account.groupIds.includes(groupId)),
        )
        .map((e) => accountView(e, ctx))
    },
    /** Groups (of `platform` when given) with their member count and bound live keys. */
    async groupList(platform?: string): Promise<GroupListItem[]> {
      const [ctx, all, list] = await Promise.all([
        context(),
        accounts.list(),
        groups.list(platform),
      ])
      return list.map((g) => ({
        ...g,
        memberCount: all.filter((a) => a.groupIds.includes(g.id)).length,
        boundKeys: ctx.counts[g.id] ?? 0,
      }))
    },
    /** One group with its member ids. */
    async groupDetail(id: string): Promise<GroupDetail> {
      const group = await groups.get(id)
      const members = await groups.members(id)
      return { ...group, memberCount: members.length, memberIds: members.map((a) => a.id) }
    },
    /** Sets a group's members; returns the member ids before and after. */
    async setGroupMembers(id: string, accountIds: string[]) {
      const before = (await groups.members(id)).map((a) => a.id)
      const after = (await groups.setMembers(id, accountIds)).map((a) => a.id)
      return { before, after }
    },
    /** Accounts that belong to a group, as views. */
    async members(groupId: string): Promise<AccountView[]> {
      await groups.get(groupId)
      const ctx = await context()
      const ids = new Set((await groups.members(groupId)).map((a) => a.id))
      return (await accounts.readEntries())
        .filter((e) => ids.has(e.account.id))
        .map((e) => accountView(e, ctx))
    },
    /** One account of `platform`, as a view (404 for another kind's id). */
    async get(id: string, platform: AccountPlatform): Promise<AccountView> {
      return accountView(await entryOf(id, platform), await context())
    },
    async create(platform: AccountPlatform, input: AccountInput): Promise<AccountView> {
      checkOptions(deps.optionsSchema?.(platform), input.options ?? {})
      await checkInput(input, platform)
      const account = await accounts.create(platform, input)
      return viewOf(account.id)
    },
    /** Edits an account of `platform`; returns the views before and after. */
    async update(id: string, platform: AccountPlatform, input: AccountInput) {
      const entry = await entryOf(id, platform)
      const before = accountView(entry, await context())
      if (input.options)
        checkOptions(deps.optionsSchema?.(platform), { ...entry.account.options, ...input.options })
      await checkInput(input, platform)
      await accounts.update(id, input)
      return { before, after: await viewOf(id) }
    },
    /** Deletes an account of `platform` and unbinds every key bound to it. */
    async remove(id: string, platform: AccountPlatform) {
      const before = accountView(await entryOf(id, platform), await context())
      await accounts.remove(id)
      let unbound = 0
      for (const k of await keys.list()) {
        const fields = fieldsBoundTo(k, id)
        if (fields.length === 0) continue
        unbound++
        await keys.update(k.id, Object.fromEntries(fields.map((f) => [f, ''])))
      }
      return { before, unboundKeys: unbound }
    },
    /** Clears every health mark; returns the state before and after. */
    async resetState(id: string, platform: AccountPlatform) {
      const e = await entryOf(id, platform)
      const after: AccountState = await accounts.resetState(id)
      return { before: e.state, after }
    },
    /** Flips whether the account is scheduled; returns the new value. */
    async toggleSchedulable(id: string, platform: AccountPlatform): Promise<boolean> {
      const e = await entryOf(id, platform)
      const schedulable = !e.account.schedulable
      await accounts.update(id, { schedulable })
      return schedulable
    },
  }
}

/** The account admin's interface. */
export type AccountAdmin = ReturnType<typeof createAccountAdmin>
