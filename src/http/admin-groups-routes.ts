/**
 * @module
 * Admin routes of account groups (`/admin/account-groups`, the seed's paths): named sets of
 * accounts a key can be bound to (`group:<id>`), with their member accounts. A group cannot be
 * deleted while it has members or bound keys. The rules live in `accounts/groups.ts` and
 * `accounts/admin.ts`.
 */
import { Elysia, t } from 'elysia'
import { type AccountAdmin, GroupDetail, GroupListItem } from '../accounts/admin.ts'
import { AccountGroup } from '../accounts/model.ts'
import { AccountView } from '../accounts/views.ts'
import { type AdminGuardDeps, adminGuard } from './admin-guard.ts'
import { GroupBody, GroupListQuery, GroupMembersBody, GroupParams } from './schemas/accounts.ts'
import { OkMessage, ok, strictBody } from './schemas/common.ts'

const doc = (summary: string) => ({ tags: ['accounts'], summary })

/** What a group body sets (null fields: absent). */
const groupInput = (b: typeof GroupBody.static) => ({
  name: b.name ?? undefined,
  platform: b.platform ?? undefined,
  description: b.description ?? undefined,
})

/** Account groups controller. */
export function adminGroupRoutes(deps: { guard: AdminGuardDeps; admin: AccountAdmin }) {
  const { admin } = deps
  const groups = admin.groups
  return new Elysia({ prefix: '/admin', name: 'crs.admin-groups' })
    .use(adminGuard(deps.guard))
    .get(
      '/account-groups',
      async ({ query }) => ({ success: true, data: await admin.groupList(query.platform) }),
      {
        query: GroupListQuery,
        response: ok(t.Array(GroupListItem)),
        detail: doc('List account groups (optionally of one platform)'),
      },
    )
    .post(
      '/account-groups',
      async ({ body, audit }) => {
        const group = await groups.create(groupInput(body ?? {}))
        audit('group.create', group.id, null, group)
        return { success: true, data: group }
      },
      {
        ...strictBody(t.Optional(GroupBody)),
        response: ok(AccountGroup),
        detail: doc('Create an account group'),
      },
    )
    .get(
      '/account-groups/:groupId',
      async ({ params }) => ({ success: true, data: await admin.groupDetail(params.groupId) }),
      { params: GroupParams, response: ok(GroupDetail), detail: doc('Get one account group') },
    )
    .put(
      '/account-groups/:groupId',
      async ({ params, body, audit }) => {
        const before = await groups.get(params.groupId)
        const group = await groups.update(params.groupId, groupInput(body ?? {}))
        audit('group.update', params.groupId, before, group)
        return { success: true, data: group }
      },
      {
        params: GroupParams,
        ...strictBody(t.Optional(GroupBody)),
        response: ok(AccountGroup),
        detail: doc('Edit an account group'),
      },
    )
    .delete(
      '/account-groups/:groupId',
      async ({ params, audit }) => {
        const group = await groups.remove(params.groupId)
        audit('group.delete', params.groupId, group, null)
        return { success: true, message: 'Group deleted' }
      },
      {
        params: GroupParams,
        response: OkMessage,
        detail: doc('Delete an account group (409 while it has members or bound keys)'),
      },
    )
    .get(
      '/account-groups/:groupId/members',
      async ({ params }) => ({ success: true, data: await admin.members(params.groupId) }),
      {
        params: GroupParams,
        response: ok(t.Array(AccountView)),
        detail: doc('Accounts that belong to a group'),
      },
    )
    .put(
      '/account-groups/:groupId/members',
      async ({ params, body, audit }) => {
        const { before, after } = await admin.setGroupMembers(params.groupId, body.accountIds)
        audit('group.members', params.groupId, { accountIds: before }, { accountIds: after })
        return { success: true, data: { groupId: params.groupId, accountIds: after } }
      },
      {
        params: GroupParams,
        ...strictBody(GroupMembersBody),
        response: ok(t.Object({ groupId: t.String(), accountIds: t.Array(t.String()) })),
        detail: doc('Set the member accounts of a group'),
      },
    )
}
