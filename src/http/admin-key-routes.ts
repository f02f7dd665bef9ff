/**
 * @module
 * Admin API for keys (seed-compatible paths and `{ success, data }` envelopes): the list
 * (server-side paging, search, tag and status filters, sorting by any column including cost
 * over a period), batch create (up to 500) and batch edit, trash (soft delete, restore,
 * permanent delete), expiry changes, secret regeneration, per-key model statistics. Every body,
 * query and answer has a schema (see `schemas/keys.ts`); the rules live in `keys/admin.ts`.
 */
import { Elysia, t } from 'elysia'
import type { KeyAdmin } from '../keys/admin.ts'
import { KeyPage, KeyView } from '../keys/admin.ts'
import { type AdminGuardDeps, adminGuard } from './admin-guard.ts'
import { IdParams, OkMessage, ok, strictBody } from './schemas/common.ts'
import {
  CreatedKey,
  KeyBatchCreateBody,
  KeyBatchUpdateBody,
  KeyBatchUpdateResult,
  KeyCreateBody,
  KeyExpirationBody,
  KeyIdsBody,
  KeyInputBody,
  KeyListQuery,
  KeyModelStatsQuery,
  KeyWithSecret,
  KeyWithStatus,
  ModelStat,
  PurgedCounters,
  SupportedClient,
} from './schemas/keys.ts'

/** Clients a key can be restricted to (by user agent). */
const SUPPORTED_CLIENTS: SupportedClient[] = [
  { id: 'claude_code', name: 'Claude Code', description: 'User agent claude-cli/x.y.z' },
  { id: 'gemini_cli', name: 'Gemini CLI', description: 'User agent GeminiCLI/x' },
  {
    id: 'codex_cli',
    name: 'Codex CLI',
    description: 'User agent codex_cli_rs/x or codex_vscode/x',
  },
  { id: 'droid_cli', name: 'Droid CLI', description: 'User agent factory-cli/x' },
]

const doc = (summary: string) => ({ tags: ['api keys'], summary })

/** Admin controller for keys. */
export function adminKeyRoutes(deps: { guard: AdminGuardDeps; keyAdmin: KeyAdmin }) {
  const { keyAdmin: keys } = deps
  return new Elysia({ prefix: '/admin', name: 'crs.admin-keys' })
    .use(adminGuard(deps.guard))
    .get('/api-keys', async ({ query }) => ({ success: true, data: await keys.list(query) }), {
      query: KeyListQuery,
      response: ok(KeyPage),
      detail: doc(
        'List keys: page, pageSize, search, searchMode, tag, isActive, status, sortBy (incl. cost), sortOrder, costTimeRange',
      ),
    })
    .get('/api-keys/tags', async () => ({ success: true, data: await keys.tags() }), {
      response: ok(t.Array(t.String())),
      detail: doc('Every tag in use'),
    })
    .get('/api-keys/deleted', async () => ({ success: true, data: await keys.deleted() }), {
      response: ok(t.Array(KeyView)),
      detail: doc('Keys in the trash'),
    })
    .get('/supported-clients', () => ({ success: true, data: SUPPORTED_CLIENTS }), {
      response: ok(t.Array(SupportedClient)),
      detail: doc('Clients a key can be restricted to'),
    })
    .post(
      '/api-keys',
      async ({ body, audit }) => {
        const data = await keys.create(body)
        const { apiKey: _secret, ...view } = data
        audit('api_key.create', data.id, null, view)
        return { success: true, data }
      },
      {
        ...strictBody(KeyCreateBody),
        response: ok(KeyWithSecret),
        detail: doc('Create a key; data.apiKey is the plaintext, shown only here'),
      },
    )
    .post(
      '/api-keys/batch',
      async ({ body, audit }) => {
        const { baseName, count, ...fields } = body
        const created = await keys.createMany(baseName, count, fields)
        audit('api_key.batch_create', created.map((c) => c.id).join(','), null, {
          baseName,
          count,
          fields,
        })
        return { success: true, data: created }
      },
      {
        ...strictBody(KeyBatchCreateBody),
        response: ok(t.Array(CreatedKey)),
        detail: doc('Create up to 500 keys named baseName_1…n; every plaintext is returned once'),
      },
    )
    .put(
      '/api-keys/batch',
      async ({ body, audit }) => {
        const results = await keys.updateMany(
          body.keyIds,
          body.updates ?? {},
          (id, before, after) => audit('api_key.update', id, before, after),
        )
        return { success: true, data: { updated: results.filter((r) => r.ok).length, results } }
      },
      {
        ...strictBody(KeyBatchUpdateBody),
        response: ok(KeyBatchUpdateResult),
        detail: doc('Edit many keys; tagOperation add, remove or set applies to tags'),
      },
    )
    .delete(
      '/api-keys/batch',
      async ({ body, audit }) => {
        const deleted = await keys.trashMany(body.keyIds, (id, key) =>
          audit('api_key.delete', id, null, key),
        )
        return { success: true, data: { deleted } }
      },
      {
        ...strictBody(KeyIdsBody),
        response: ok(t.Object({ deleted: t.Integer() })),
        detail: doc('Move many keys to the trash'),
      },
    )
    .delete(
      '/api-keys/deleted/clear-all',
      async ({ audit }) => {
        const purged = await keys.clearTrash()
        audit('api_key.clear_trash', '', null, { purged })
        return { success: true, data: { purged } }
      },
      {
        response: ok(t.Object({ purged: t.Integer() })),
        detail: doc('Delete every key in the trash permanently, with its usage'),
      },
    )
    .get(
      '/api-keys/:id',
      async ({ params }) => ({ success: true, data: await keys.get(params.id) }),
      { params: IdParams, response: ok(KeyWithStatus), detail: doc('One key') },
    )
    .put(
      '/api-keys/:id',
      async ({ params, body, audit }) => {
        const { before, after } = await keys.update(params.id, body ?? {})
        audit('api_key.update', params.id, before, after)
        return { success: true, data: after }
      },
      {
        params: IdParams,
        ...strictBody(t.Optional(KeyInputBody)),
        response: ok(KeyView),
        detail: doc('Edit a key (any limit, restriction, binding or tag)'),
      },
    )
    .patch(
      '/api-keys/:id/expiration',
      async ({ params, body, audit }) => {
        const { before, key } = await keys.setExpiration(params.id, body ?? {})
        audit('api_key.expiration', params.id, { expiresAt: before }, { expiresAt: key.expiresAt })
        return { success: true, data: key }
      },
      {
        params: IdParams,
        ...strictBody(t.Optional(KeyExpirationBody)),
        response: ok(KeyView),
        detail: doc('Renew or change the expiry (expiresAt, null = never) or activate now'),
      },
    )
    .post(
      '/api-keys/:id/regenerate',
      async ({ params, audit }) => {
        const data = await keys.regenerate(params.id)
        audit('api_key.regenerate', params.id, null, { hint: data.hint })
        return { success: true, data }
      },
      {
        params: IdParams,
        response: ok(KeyWithSecret),
        detail: doc(
          'Replace the secret of a key (the old one stops working); the new one is shown once',
        ),
      },
    )
    .delete(
      '/api-keys/:id',
      async ({ params, audit }) => {
        audit('api_key.delete', params.id, null, await keys.trash(params.id))
        return { success: true, message: 'API key moved to the trash' }
      },
      {
        params: IdParams,
        response: OkMessage,
        detail: doc('Move a key to the trash (it stops working; usage is kept)'),
      },
    )
    .post(
      '/api-keys/:id/restore',
      async ({ params, audit }) => {
        const key = await keys.restore(params.id)
        audit('api_key.restore', params.id, null, key)
        return { success: true, data: key }
      },
      { params: IdParams, response: ok(KeyView), detail: doc('Restore a key from the trash') },
    )
    .delete(
      '/api-keys/:id/permanent',
      async ({ params, audit }) => {
        const { key, counters } = await keys.purge(params.id)
        audit('api_key.purge', params.id, key, null)
        return { success: true, data: { counters } }
      },
      {
        params: IdParams,
        response: ok(PurgedCounters),
        detail: doc('Delete a trashed key for good, with its usage counters'),
      },
    )
    .get(
      '/api-keys/:id/model-stats',
      async ({ params, query }) => ({
        success: true,
        data: await keys.modelStats(params.id, query),
      }),
      {
        params: IdParams,
        query: KeyModelStatsQuery,
        response: ok(t.Array(ModelStat)),
        detail: doc(
          'Per-model usage of a key: period daily|monthly, or costTimeRange with startDate/endDate',
        ),
      },
    )
}
