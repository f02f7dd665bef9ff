/**
 * @module
 * Admin routes of account groups (`/admin/account-groups`, the seed's paths): named sets of
 * accounts a key can be bound to (`group:<id>`), with their member accounts. A group cannot be
 * deleted while it has members or bound keys.
 */
import { Elysia } from 'elysia'
import type { AccountAdmin } from '../accounts/admin.ts'
import type { AccountService } from '../accounts/service.ts'
import { InvalidRequestError } from '../core/errors.ts'
import { type Body, str } from './account-input.ts'
import { type AdminGuardDeps, adminGuard } from './admin-guard.ts'

/** Account groups controller. */
export function adminGroupRoutes(deps: {
  guard: AdminGuardDeps
  admin: AccountAdmin
  accounts: AccountService
}) {
  const { admin, accounts } = deps
  const groups = admin.groups
  return new Elysia({ prefix: '/admin', name: 'crs.admin-groups' })
    .use(adminGuard(deps.guard))
    .get(
      '/account-groups',
      async ({ query }) => {
        const ctx = await admin.context()
        const all = await accounts.list()
        const list = await groups.list(str((query as Record<string, unknown>).platform))
        return {
          success: true,
          data: list.map((g) => ({
            ...g,
            memberCount: all.filter((a) => a.groupIds.includes(g.id)).length,
            boundKeys: ctx.counts[g.id] ?? 0,
          })),
        }
      },
      {
        detail: { tags: ['accounts'], summary: 'List account groups (optionally of one platform)' },
      },
    )
    .post(
      '/account-groups',
      async ({ body, audit }) => {
        const b = (body ?? {}) as Body
        const group = await groups.create({
          name: str(b.name),
          platform: str(b.platform),
          description: str(b.description),
        })
        audit('group.create', group.id, null, group)
        return { success: true, data: group }
      },
      { detail: { tags: ['accounts'], summary: 'Create an account group' } },
    )
    .get(
      '/account-groups/:groupId',
      async ({ params }) => {
        const group = await groups.get(params.groupId)
        const members = await groups.members(params.groupId)
        return {
          success: true,
          data: { ...group, memberCount: members.length, memberIds: members.map((a) => a.id) },
        }
      },
      { detail: { tags: ['accounts'], summary: 'Get one account group' } },
    )
    .put(
      '/account-groups/:groupId',
      async ({ params, body, audit }) => {
        const b = (body ?? {}) as Body
        const before = await groups.get(params.groupId)
        const group = await groups.update(params.groupId, {
          name: str(b.name),
          platform: str(b.platform),
          description: str(b.description),
        })
        audit('group.update', params.groupId, before, group)
        return { success: true, data: group }
      },
      { detail: { tags: ['accounts'], summary: 'Edit an account group' } },
    )
    .delete(
      '/account-groups/:groupId',
      async ({ params, audit }) => {
        const group = await groups.remove(params.groupId)
        audit('group.delete', params.groupId, group, null)
        return { success: true, message: 'Group deleted' }
      },
      {
        detail: {
          tags: ['accounts'],
          summary: 'Delete an account group (409 while it has members or bound keys)',
        },
      },
    )
    .get(
      '/account-groups/:groupId/members',
      async ({ params }) => {
        return { success: true, data: await admin.members(params.groupId) }
      },
      { detail: { tags: ['accounts'], summary: 'Accounts that belong to a group' } },
    )
    .put(
      '/account-groups/:groupId/members',
      async ({ params, body, audit }) => {
        const ids = ((body ?? {}) as Body).accountIds
        if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'string'))
          throw new InvalidRequestError('Invalid body: accountIds must be an array of account ids')
        const before = (await groups.members(params.groupId)).map((a) => a.id)
        const members = await groups.setMembers(params.groupId, ids as string[])
        const after = members.map((a) => a.id)
        audit('group.members', params.groupId, { accountIds: before }, { accountIds: after })
        return { success: true, data: { groupId: params.groupId, accountIds: after } }
      },
      { detail: { tags: ['accounts'], summary: 'Set the member accounts of a group' } },
    )
}
