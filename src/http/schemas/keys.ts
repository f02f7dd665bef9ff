/**
 * @module
 * Schemas of the admin API for keys: what each route reads (body, query) and answers. The
 * fields of a key are the stored shape's ({@link ApiKey}); fields the key service refuses (read
 * only or unknown) pass the edge and are refused there, with their name.
 */
import type { Static } from '@sinclair/typebox'
import { t as T } from 'elysia'
import { KEY_SORT_COLUMNS, KeyStatus, KeyView } from '../../keys/admin.ts'
import { ApiKey } from '../../keys/model.ts'
import { KEY_READ_ONLY_FIELDS } from '../../keys/service.ts'
import { UsageView } from '../../usage/views.ts'
import { inputOf } from './common.ts'

/** The fields an admin may set on a key (create and edit). */
export const KeyInputBody = inputOf(T.Omit(ApiKey, [...KEY_READ_ONLY_FIELDS]))
export type KeyInputBody = Static<typeof KeyInputBody>

/** A new key: `name` is required. */
export const KeyCreateBody = T.Composite(
  [KeyInputBody, T.Object({ name: ApiKey.properties.name })],
  {
    additionalProperties: true,
  },
)

/** Many new keys named `baseName_1…count` with the same fields. */
export const KeyBatchCreateBody = T.Composite(
  [
    KeyInputBody,
    T.Object({
      baseName: T.String({ minLength: 1 }),
      count: T.Integer({ minimum: 1, maximum: 500 }),
    }),
  ],
  { additionalProperties: true },
)

/** Fields set on many keys; `tagOperation` add or remove applies `tags` to each key's own. */
export const KeyBatchUpdateBody = T.Object({
  keyIds: T.Array(T.String(), { minItems: 1, maxItems: 500 }),
  updates: T.Optional(
    T.Composite(
      [
        KeyInputBody,
        T.Object({
          tagOperation: T.Optional(
            T.String({ description: 'add | remove | set (the default)', examples: ['add'] }),
          ),
        }),
      ],
      { additionalProperties: true },
    ),
  ),
})
export type KeyBatchUpdateBody = Static<typeof KeyBatchUpdateBody>

/** Keys moved to the trash together. */
export const KeyIdsBody = T.Object({ keyIds: T.Array(T.String(), { minItems: 1 }) })

/** A new expiry (null = never) or activation now. */
export const KeyExpirationBody = T.Object({
  expiresAt: T.Optional(T.Union([T.String(), T.Null()], { description: 'ISO date; null = never' })),
  activateNow: T.Optional(T.Boolean()),
})

const RANGE_FIELDS = {
  costTimeRange: T.Optional(
    T.String({
      description: 'today | 7days | 30days | monthly | custom | all (default)',
      examples: ['7days'],
    }),
  ),
  timeRange: T.Optional(T.String({ description: 'alias of costTimeRange' })),
  range: T.Optional(T.String({ description: 'alias of costTimeRange' })),
  costStartDate: T.Optional(T.String({ description: 'first day of a custom range' })),
  startDate: T.Optional(T.String({ description: 'alias of costStartDate' })),
  costEndDate: T.Optional(T.String({ description: 'last day of a custom range' })),
  endDate: T.Optional(T.String({ description: 'alias of costEndDate' })),
}

/** The key list's query. */
export const KeyListQuery = T.Object({
  page: T.Optional(T.Integer({ minimum: 1, error: 'page: expected a positive integer' })),
  pageSize: T.Optional(
    T.Integer({ minimum: 1, maximum: 500, error: 'pageSize: expected 1 to 500' }),
  ),
  search: T.Optional(T.String()),
  searchMode: T.Optional(
    T.String({ description: 'bindingAccount: search the bound account ids instead' }),
  ),
  tag: T.Optional(T.String()),
  isActive: T.Optional(T.String({ description: 'true | false' })),
  status: T.Optional(T.String({ description: 'active | disabled | expired | pending | deleted' })),
  sortBy: T.Optional(
    T.Union(
      KEY_SORT_COLUMNS.map((c) => T.Literal(c)),
      { error: `sortBy: expected one of ${KEY_SORT_COLUMNS.join(', ')}` },
    ),
  ),
  sortOrder: T.Optional(T.String({ description: 'asc | desc (the default)' })),
  ...RANGE_FIELDS,
})

/** A key's per-model statistics query. */
export const KeyModelStatsQuery = T.Object({
  period: T.Optional(T.String({ description: 'daily | monthly; else the named range' })),
  ...RANGE_FIELDS,
})

/** A key with its plaintext, shown once. */
export const KeyWithSecret = T.Composite([KeyView, T.Object({ apiKey: T.String() })])
export type KeyWithSecret = Static<typeof KeyWithSecret>

/** One key and its status now. */
export const KeyWithStatus = T.Composite([KeyView, T.Object({ status: KeyStatus })])

/** A key made by a batch create. */
export const CreatedKey = T.Object({ id: T.String(), name: T.String(), apiKey: T.String() })
export type CreatedKey = Static<typeof CreatedKey>

/** The outcome of a batch edit. */
export const KeyBatchUpdateResult = T.Object({
  updated: T.Integer(),
  results: T.Array(T.Object({ id: T.String(), ok: T.Boolean(), error: T.Optional(T.String()) })),
})

/** A client a key can be restricted to. */
export const SupportedClient = T.Object({
  id: T.String(),
  name: T.String(),
  description: T.String(),
})
export type SupportedClient = Static<typeof SupportedClient>

/** Usage of one model (of a key, an account or everything). */
export const ModelStat = T.Composite([T.Object({ model: T.String() }), UsageView])
export type ModelStat = Static<typeof ModelStat>

/** How many usage counters a permanent delete removed. */
export const PurgedCounters = T.Object({ counters: T.Integer() })
