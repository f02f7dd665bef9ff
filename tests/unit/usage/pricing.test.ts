import { describe, expect, test } from 'bun:test'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { filePriceSource } from '../../../src/runtime/bun.ts'
import bundled from '../../../src/usage/pricing.json'
import { createPriceIndex, createPricing, type PriceTable } from '../../../src/usage/pricing.ts'

const index = createPriceIndex(bundled as PriceTable)
const u = (input: number, output: number, c5 = 0, c1 = 0, read = 0) => ({
  inputTokens: input,
  outputTokens: output,
  cacheCreate5mTokens: c5,
  cacheCreate1hTokens: c1,
  cacheReadTokens: read,
})
// Hand-computed: tokens × USD per million = micro-dollars; ×1000 = nano-dollars.
const usage = u(1000, 500, 2000, 3000, 10_000)

describe('pricing: every Claude family by hand-computed numbers', () => {
  const cases: [string, number][] = [
    // model, nano-dollars for 1000 in, 500 out, 2000 5m writes, 3000 1h writes, 10000 reads
    ['claude-opus-4-5', 1000 * 5_000 + 500 * 25_000 + 2000 * 6_250 + 3000 * 10_000 + 10_000 * 500],
    [
      'claude-opus-4-1',
      1000 * 15_000 + 500 * 75_000 + 2000 * 18_750 + 3000 * 30_000 + 10_000 * 1_500,
    ],
    ['claude-sonnet-4-5', 1000 * 3_000 + 500 * 15_000 + 2000 * 3_750 + 3000 * 6_000 + 10_000 * 300],
    ['claude-haiku-4-5', 1000 * 1_000 + 500 * 5_000 + 2000 * 1_250 + 3000 * 2_000 + 10_000 * 100],
    [
      'claude-3-5-haiku-20241022',
      1000 * 800 + 500 * 4_000 + 2000 * 1_000 + 3000 * 1_600 + 10_000 * 80,
    ],
    ['claude-3-haiku-20240307', 1000 * 250 + 500 * 1_250 + 2000 * 300 + 3000 * 500 + 10_000 * 30],
    ['claude-sonnet-5', 1000 * 2_000 + 500 * 10_000 + 2000 * 2_500 + 3000 * 4_000 + 10_000 * 200],
    [
      'claude-fable-5-2',
      1000 * 8_000 + 500 * 40_000 + 2000 * 10_000 + 3000 * 16_000 + 10_000 * 200,
    ],
  ]
  for (const [model, nanos] of cases) {
    test(`${model} costs ${nanos / 1e9} USD`, () => {
      expect(index.cost(model, usage)).toEqual({
        costNanos: nanos,
        priced: true,
        model: expect.any(String),
        longContext: false,
      })
    })
  }

  test('5m and 1h cache writes are priced separately (1h at twice the input price)', () => {
    expect(index.cost('claude-sonnet-4-6', u(0, 0, 1_000_000, 0)).costNanos).toBe(3.75e9)
    expect(index.cost('claude-sonnet-4-6', u(0, 0, 0, 1_000_000)).costNanos).toBe(6e9)
    expect(index.cost('claude-sonnet-4-6', u(0, 0, 0, 0, 1_000_000)).costNanos).toBe(0.3e9)
  })

  test('long context: a prompt over 200k tokens on Sonnet 4.5 uses the long-context rates for every kind', () => {
    const long = u(150_000, 1000, 30_000, 20_000, 10_000) // prompt = 210k
    expect(index.cost('claude-sonnet-4-5', long)).toEqual({
      costNanos: 150_000 * 6_000 + 1000 * 22_500 + 30_000 * 7_500 + 20_000 * 12_000 + 10_000 * 600,
      priced: true,
      model: 'claude-sonnet-4-5',
      longContext: true,
    })
    expect(index.cost('claude-sonnet-4-5', u(200_000, 10)).longContext).toBe(false)
    expect(index.cost('claude-sonnet-4-5[1m]', u(200_001, 0)).longContext).toBe(true)
  })

  test('every bundled model has a source and integral nano-dollar prices', () => {
    const t = bundled as PriceTable
    for (const [id, p] of Object.entries(t.models)) {
      expect(t.sources?.[p.source ?? '']).toBeDefined()
      for (const v of [p.input, p.output, p.cacheWrite5m, p.cacheWrite1h, p.cacheRead])
        expect(Number.isInteger(v * 1000)).toBe(true)
      expect(id).toMatch(/^(claude-|gemini-|gpt-|o\d|codex-|text-embedding-)/)
    }
  })

  test('every model id the installed SDK lists is priced or listed as unpriced with a reason', async () => {
    const sdkFile = await Bun.file(
      join(
        import.meta.dir,
        '../../../node_modules/@anthropic-ai/sdk/resources/messages/messages.d.ts',
      ),
    ).text()
    const ids = new Set([...sdkFile.matchAll(/'(claude-[a-z0-9.-]+)'/g)].map((m) => m[1]!))
    const unpriced = new Set(((bundled as PriceTable).unpriced ?? []).map((x) => x.id))
    const missing = [...ids].filter((id) => !index.find(id) && !unpriced.has(id))
    expect(missing).toEqual([])
  })
})

describe('pricing: model name normalisation', () => {
  test.each([
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
    ['Claude-Sonnet-4-5', 'claude-sonnet-4-5'],
    ['claude-sonnet-4-5[1m]', 'claude-sonnet-4-5'],
    ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'claude-sonnet-4-5'],
    ['anthropic.claude-haiku-4-5-20251001-v1:0', 'claude-haiku-4-5'],
    ['anthropic/claude-opus-4-5', 'claude-opus-4-5'],
    ['claude-opus-4-5@20251101', 'claude-opus-4-5'],
    ['ccr,claude-opus-4-1', 'claude-opus-4-1'],
    ['claude-opus-4', 'claude-opus-4-0'],
    ['claude-3-5-sonnet', 'claude-3-5-sonnet-latest'],
  ])('%s is priced as %s', (given, canonical) => {
    expect(index.find(given)?.canonical).toBe(canonical)
  })

  test('an unknown model costs 0 and is reported unpriced', () => {
    expect(index.cost('no-such-model-1', u(100, 100))).toEqual({
      costNanos: 0,
      priced: false,
      model: 'no-such-model-1',
      longContext: false,
    })
    expect(index.cost('claude-mythos-preview', u(1, 1)).priced).toBe(false)
  })
})

describe('pricing overrides', () => {
  test('a file override extends and replaces prices and is re-read when it changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crs-prices-'))
    const file = join(dir, 'prices.json')
    const write = (input: number) =>
      writeFileSync(
        file,
        JSON.stringify({
          version: `v${input}`,
          models: {
            'my-model': { input, output: 1, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 },
          },
        }),
      )
    write(2)
    const errors: string[] = []
    const pricing = createPricing({
      bundled: bundled as PriceTable,
      override: filePriceSource(file),
      onError: (m) => errors.push(m),
    })
    expect(pricing.cost('my-model', u(1000, 0)).priced).toBe(false)
    expect(await pricing.refresh()).toBe(true)
    expect(pricing.cost('my-model', u(1000, 0)).costNanos).toBe(2_000_000)
    expect(pricing.cost('claude-haiku-4-5', u(1000, 0)).costNanos).toBe(1_000_000)
    expect(await pricing.refresh()).toBe(false)
    await Bun.sleep(10)
    write(5)
    expect(await pricing.refresh()).toBe(true)
    expect(pricing.cost('my-model', u(1000, 0)).costNanos).toBe(5_000_000)
    writeFileSync(file, '{not json')
    expect(await pricing.refresh()).toBe(false)
    expect(pricing.cost('my-model', u(1000, 0)).costNanos).toBe(5_000_000)
    expect(errors[0]).toContain('not valid JSON')
  })
})
