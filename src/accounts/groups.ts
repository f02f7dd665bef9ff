/**
 * @module
 * Account groups: named sets of accounts a key can be bound to (`claudeAccountId = group:<id>`).
 * Membership lives on the account (`groupIds`), so the scheduler needs nothing but the account;
 * a group cannot be deleted while it has members or while a key is bound to it.
 */
import { Value } from '@sinclair/typebox/value'
import { ConflictError, InvalidRequestError, NotFoundError } from '../core/errors.ts'
import { newId } from '../core/ids.ts'
import type { Clock } from '../core/ports.ts'
import { type BindingField, fieldsBoundTo } from '../keys/bindings.ts'
import type { ApiKey } from '../keys/model.ts'
import { type Account, AccountGroup, type AccountPlatform } from './model.ts'
import type { AccountRepository } from './repository.ts'
import type { AccountService } from './service.ts'

/** The key binding fields the group guard reads. */
export type KeyBinding = Pick<ApiKey, 'id'> &
  Partial<Pick<ApiKey, BindingField>> & {
    isDeleted?: boolean
  }

/** Options of {@link createGroupService}. */
export interface GroupServiceOptions {
  repo: Pick<AccountRepository, 'putGroup' | 'getGroup' | 'listGroups' | 'deleteGroup'>
  accounts: AccountService
  clock: Clock
  /** Every key with its binding. */
  keyBindings: () => Promise<KeyBinding[]>
  /** Clears a key's binding to a deleted group (soft-deleted keys only). */
  unbindKey: (keyId: string, field: BindingField) => Promise<void>
}

/** Admin input of a group. */
export interface GroupInput {
  name?: string
  platform?: string
  description?: string
}

/** Group platforms of the system we replace. */
export const GROUP_PLATFORMS = ['claude', 'gemini', 'openai', 'droid'] as const

/** The group platform an account kind belongs to (null: no group takes it by the members route). */
export function groupPlatformOf(platform: AccountPlatform): string | null {
  switch (platform) {
    case 'claude-oauth':
    case 'claude-console':
      return 'claude'
    case 'openai':
    case 'openai-responses':
      return 'openai'
    case 'gemini-oauth':
    case 'gemini-api':
      return 'gemini'
    case 'droid':
      return 'droid'
    default:
      return null
  }
}

/** The binding value of a group. */
export function groupBinding(groupId: string): string {
  return `group:${groupId}`
}

/** Creates the group service. */
export function createGroupService(options: GroupServiceOptions) {
  const { repo, accounts, clock } = options

  function validate(group: AccountGroup): AccountGroup {
    if (!(GROUP_PLATFORMS as readonly string[]).includes(group.platform))
      throw new InvalidRequestError(
        `Invalid group field platform: expected one of ${GROUP_PLATFORMS.join(', ')}`,
      )
    const errors = [...Value.Errors(AccountGroup, group)]
    if (errors.length > 0) {
      const e = errors[0]!
      throw new InvalidRequestError(
        `Invalid group field ${e.path.replace(/^\//, '') || '(body)'}: ${e.message}`,
      )
    }
    return group
  }

  async function mustGet(id: string): Promise<AccountGroup> {
    const g = await repo.getGroup(id)
    if (!g) throw new NotFoundError(`Cannot find account group "${id}"`)
    return g
  }

  /** Accounts whose `groupIds` contain `id`. */
  async function members(id: string): Promise<Account[]> {
    return (await accounts.list()).filter((a) => a.groupIds.includes(id))
  }

  /** Keys bound to the group (including soft-deleted ones). */
  async function boundKeys(id: string): Promise<KeyBinding[]> {
    return (await options.keyBindings()).filter((k) => fieldsBoundTo(k, id).length > 0)
  }

  return {
    /** Groups, optionally of one platform, in creation order. */
    async list(platform?: string): Promise<AccountGroup[]> {
      const all = await repo.listGroups()
      return platform ? all.filter((g) => g.platform === platform) : all
    },
    get: mustGet,
    members,
    /** Creates a group. */
    async create(input: GroupInput): Promise<AccountGroup> {
      const now = new Date(clock.now()).toISOString()
      const group = validate({
        id: newId(),
        name: (input.name ?? '').trim(),
        platform: input.platform ?? 'claude',
        description: input.description ?? '',
        createdAt: now,
        updatedAt: now,
      })
      await repo.putGroup(group)
      return group
    },
    /** Edits name and description (the platform is fixed once members may exist). */
    async update(id: string, input: GroupInput): Promise<AccountGroup> {
      const current = await mustGet(id)
      if (input.platform !== undefined && input.platform !== current.platform)
        throw new InvalidRequestError('Cannot change the platform of a group')
      const next = validate({
        ...current,
        name: input.name !== undefined ? input.name.trim() : current.name,
        description: input.description ?? current.description,
        updatedAt: new Date(clock.now()).toISOString(),
      })
      await repo.putGroup(next)
      return next
    },
    /** Deletes a group; refused while it has members or live keys bound to it. */
    async remove(id: string): Promise<AccountGroup> {
      const group = await mustGet(id)
      const m = await members(id)
      if (m.length > 0)
        throw new ConflictError(
          `Cannot delete group "${group.name}": it still has ${m.length} member account(s)`,
          { details: { members: m.length } },
        )
      const keys = await boundKeys(id)
      const live = keys.filter((k) => !k.isDeleted)
      if (live.length > 0)
        throw new ConflictError(
          `Cannot delete group "${group.name}": ${live.length} API key(s) are bound to it`,
          { details: { boundKeys: live.length } },
        )
      for (const k of keys)
        for (const f of fieldsBoundTo(k, id))
          if (k[f] === groupBinding(id)) await options.unbindKey(k.id, f)
      await repo.deleteGroup(id)
      return group
    },
    /**
     * Makes exactly `accountIds` the members of the group; returns the members. Accounts joining
     * must be of the group's platform (a Gemini group takes Google-login and Gemini API accounts).
     */
    async setMembers(id: string, accountIds: string[]): Promise<Account[]> {
      const group = await mustGet(id)
      const all = await accounts.list()
      const byId = new Map(all.map((a) => [a.id, a]))
      const wanted = new Set(accountIds)
      for (const aid of wanted) {
        const a = byId.get(aid)
        if (!a) throw new InvalidRequestError(`Cannot find account "${aid}"`)
        if (!a.groupIds.includes(id) && groupPlatformOf(a.platform) !== group.platform)
          throw new InvalidRequestError(
            `Cannot add account "${a.name}" (${a.platform}) to a ${group.platform} group`,
          )
      }
      for (const a of all) {
        const has = a.groupIds.includes(id)
        if (wanted.has(a.id) && !has) await accounts.update(a.id, { groupIds: [...a.groupIds, id] })
        else if (!wanted.has(a.id) && has)
          await accounts.update(a.id, { groupIds: a.groupIds.filter((g) => g !== id) })
      }
      return members(id)
    },
    /**
     * Throws unless every id names an existing group, and (with `platform`) a group of that
     * account kind's platform, as the members route requires.
     */
    async assertExist(ids: string[], platform?: AccountPlatform): Promise<void> {
      for (const gid of ids) {
        const group = await repo.getGroup(gid)
        if (!group)
          throw new InvalidRequestError(`Invalid account field groupIds: no group "${gid}"`)
        if (platform && groupPlatformOf(platform) !== group.platform)
          throw new InvalidRequestError(
            `Invalid account field groupIds: "${group.name}" is a ${group.platform} group; a ${platform} account cannot join it`,
          )
      }
    },
  }
}

/** The group service's interface. */
export type GroupService = ReturnType<typeof createGroupService>
