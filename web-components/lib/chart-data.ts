/**
 * @module
 * Chart series built from the API's usage series, shared by the dashboard and the usage dialogs.
 */
import type { TopTrendItem, TrendPoint } from '../api/types.ts'
import type { ChartData } from '../components/crs-usage-chart.ts'
import { t } from '../i18n/i18n.ts'

/** The colours of the chart palette, in order. */
export const PALETTE = [
  '--crs-chart-1',
  '--crs-chart-2',
  '--crs-chart-3',
  '--crs-chart-4',
  '--crs-chart-5',
]

/** Requests and failed (left axis) and tokens (right axis, its own scale) of a usage series. */
export function requestsAndTokens(s: TrendPoint[]): ChartData {
  return {
    x: s.map((p) => p.t),
    series: [
      { label: t('series.requests'), values: s.map((p) => p.requests), color: '--crs-chart-1' },
      { label: t('series.failed'), values: s.map((p) => p.errors), color: '--crs-chart-2' },
      {
        label: t('series.tokens'),
        values: s.map((p) => p.allTokens),
        color: '--crs-chart-4',
        axis: 'right',
      },
    ],
  }
}

/** Cost of a usage series. */
export function costSeries(s: TrendPoint[]): ChartData {
  return {
    x: s.map((p) => p.t),
    series: [{ label: t('series.cost'), values: s.map((p) => p.cost), color: '--crs-chart-3' }],
  }
}

/** One line per subject of a top-N trend, for a metric. */
export function topSeries(
  items: TopTrendItem[],
  metric: 'cost' | 'requests' | 'tokens',
): ChartData {
  const pick = (p: TrendPoint) =>
    metric === 'cost' ? p.cost : metric === 'requests' ? p.requests : p.allTokens
  return {
    x: items[0]?.series.map((p) => p.t) ?? [],
    series: items.map((it, i) => ({
      label: it.name,
      values: it.series.map(pick),
      color: PALETTE[i % PALETTE.length]!,
    })),
  }
}
