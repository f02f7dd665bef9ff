/**
 * Gemini prices from the bundled table: cached prompt tokens at the cache rate, thinking tokens as
 * output (they arrive in outputTokens), and the Pro models' second band above 200K prompt tokens.
 */
import { expect, test } from 'bun:test'
import bundled from '../../../src/usage/pricing.json'
import { createPriceIndex, type PriceTable } from '../../../src/usage/pricing.ts'
import { emptyUsage } from '../../../src/usage/tokens.ts'

const index = createPriceIndex(bundled as PriceTable)
const usage = (input: number, output: number, cacheRead = 0) => ({
  ...emptyUsage(),
  inputTokens: input,
  outputTokens: output,
  cacheReadTokens: cacheRead,
})

test('gemini-2.5-pro: $1.25 / $10 / $0.125 up to 200K prompt tokens, $2.50 / $15 / $0.25 above', () => {
  const small = index.cost('gemini-2.5-pro', usage(100_000, 1_000, 50_000))
  expect(small.longContext).toBe(false)
  expect(small.costNanos).toBe(100_000 * 1250 + 1_000 * 10_000 + 50_000 * 125)
  const big = index.cost('gemini-2.5-pro', usage(150_000, 1_000, 60_000))
  expect(big.longContext).toBe(true)
  expect(big.costNanos).toBe(150_000 * 2500 + 1_000 * 15_000 + 60_000 * 250)
})

test('flash models have one band; versioned aliases resolve', () => {
  expect(index.cost('gemini-2.5-flash', usage(300_000, 10)).longContext).toBe(false)
  expect(index.cost('gemini-2.5-flash', usage(1_000_000, 0)).costNanos).toBe(300_000_000)
  expect(index.cost('gemini-2.0-flash-001', usage(10, 0)).model).toBe('gemini-2.0-flash')
  expect(index.cost('gemini-3-pro-preview', usage(1, 1)).priced).toBe(true)
})
