/**
 * The per-model usage columns (model, requests, tokens, cost) shared by the dashboard, the key
 * usage dialog and the public stats page.
 */
import { html, type TemplateResult } from 'lit'
import type { Column } from '../components/crs-data-table.ts'
import { t } from '../i18n/i18n.ts'
import { fmtCompact, fmtCost, fmtInt } from './format.ts'

/** A row of per-model usage. */
export interface ModelUsageRow {
  model: string
  requests: number
  allTokens: number
  cost: number
}

/** Model, requests, tokens and cost columns; `modelCell` replaces the model cell's content. */
export function modelUsageColumns<T extends ModelUsageRow>(
  modelCell?: (r: T) => TemplateResult,
): Column<T>[] {
  return [
    {
      key: 'model',
      label: t('common.model'),
      render: modelCell ?? ((r) => html`<span class="mono">${r.model}</span>`),
    },
    { key: 'requests', label: t('common.requests'), num: true, render: (r) => fmtInt(r.requests) },
    { key: 'tokens', label: t('common.tokens'), num: true, render: (r) => fmtCompact(r.allTokens) },
    { key: 'cost', label: t('common.cost'), num: true, render: (r) => fmtCost(r.cost) },
  ]
}
