/**
 * @module
 * Model prices and cost. The bundled table (`pricing.json`, sources noted per model) can be
 * extended or replaced by a file or URL named in PRICING_FILE, re-read when it changes. Model names
 * match exactly, then after each normalisation step in turn: lower case, `[1m]` suffix, vendor
 * prefixes (`anthropic.`, `us.anthropic.`, `anthropic/`, `vertex_ai/`, `provider,`), Bedrock
 * version suffixes (`-v1:0`), Vertex `@date`, a trailing `-YYYYMMDD` date, `-latest`; finally the
 * name plus `-0` or `-latest` (`claude-opus-4` is `claude-opus-4-0`). An unknown
 * model costs 0 and is reported as unpriced — never priced by a guess.
 *
 * Costs are integer nano-dollars: a price of P USD per million tokens is P × 1000 nano-dollars per
 * token, a whole number for every Anthropic price.
 */
import type { TokenUsage } from './tokens.ts'

/** Prices in USD per million tokens. */
export interface ModelPrice {
  input: number
  output: number
  cacheWrite5m: number
  cacheWrite1h: number
  cacheRead: number
  /** Rates that apply when the prompt (input + cache write + cache read) exceeds the threshold. */
  longContext?:
    | (Omit<ModelPrice, 'longContext' | 'aliases' | 'source' | 'note'> & {
        thresholdTokens: number
      })
    | null
  aliases?: string[]
  /** Most output tokens the model gives (Claude OAuth requests are clamped to it). */
  maxOutputTokens?: number
  source?: string
  note?: string
}

/** A price table document. */
export interface PriceTable {
  version?: string
  sources?: Record<string, string>
  models: Record<string, ModelPrice>
  unpriced?: { id: string; reason: string }[]
}

/** The cost of one request. */
export interface Cost {
  costNanos: number
  priced: boolean
  /** Canonical model name when priced, else the name as given. */
  model: string
  longContext: boolean
}

/** Normalisation steps, in order (also how key model lists compare names: `keys/model-rules.ts`). */
export const NORMALISERS: ((m: string) => string)[] = [
  (m) => m.toLowerCase().trim(),
  (m) => m.replace(/\[1m\]$/, ''),
  (m) => m.replace(/^[a-z0-9_-]+,/, ''),
  (m) => m.replace(/^(anthropic|bedrock|vertex_ai|vertex|openrouter\/anthropic)\//, ''),
  (m) => m.replace(/^((us|eu|apac|global|jp|au)\.)?anthropic\./, ''),
  (m) => m.replace(/-v\d+(:\d+)?$/, '').replace(/:latest$/, ''),
  (m) => m.replace(/@\d{8}$/, ''),
  (m) => m.replace(/-\d{8}$/, ''),
  (m) => m.replace(/-latest$/, ''),
]
/** Last tries on the fully normalised name: `claude-opus-4` → `claude-opus-4-0`, `claude-3-5-sonnet` → `-latest`. */
const SUFFIXES = ['-0', '-latest']

/** Integer nano-dollars per token of a USD-per-million price. */
function nanosPerToken(usdPerMTok: number): number {
  return Math.round(usdPerMTok * 1000)
}

/** Looks models up in a table. */
export function createPriceIndex(table: PriceTable) {
  const index = new Map<string, { canonical: string; price: ModelPrice }>()
  for (const [id, price] of Object.entries(table.models)) {
    index.set(id.toLowerCase(), { canonical: id, price })
    for (const alias of price.aliases ?? [])
      index.set(alias.toLowerCase(), { canonical: id, price })
  }
  const memo = new Map<string, { canonical: string; price: ModelPrice } | null>()

  function find(model: string): { canonical: string; price: ModelPrice } | null {
    const hit = memo.get(model)
    if (hit !== undefined) return hit
    let name = model
    let found: { canonical: string; price: ModelPrice } | null = index.get(model) ?? null
    for (const step of NORMALISERS) {
      if (found) break
      name = step(name)
      found = index.get(name) ?? null
    }
    for (const suffix of SUFFIXES) {
      if (found) break
      found = index.get(name + suffix) ?? null
    }
    if (memo.size > 10_000) memo.clear()
    memo.set(model, found)
    return found
  }

  return {
    find,
    /** Cost of `usage` on `model`. */
    cost(model: string, usage: TokenUsage): Cost {
      const hit = find(model)
      if (!hit) return { costNanos: 0, priced: false, model, longContext: false }
      const prompt =
        usage.inputTokens +
        usage.cacheCreate5mTokens +
        usage.cacheCreate1hTokens +
        usage.cacheReadTokens
      const lc = hit.price.longContext
      const long = !!lc && prompt > lc.thresholdTokens
      const p = long && lc ? lc : hit.price
      const costNanos =
        usage.inputTokens * nanosPerToken(p.input) +
        usage.outputTokens * nanosPerToken(p.output) +
        usage.cacheCreate5mTokens * nanosPerToken(p.cacheWrite5m) +
        usage.cacheCreate1hTokens * nanosPerToken(p.cacheWrite1h) +
        usage.cacheReadTokens * nanosPerToken(p.cacheRead)
      return { costNanos, priced: true, model: hit.canonical, longContext: long }
    },
    size: index.size,
  }
}

/** Checks a price table document; returns the problems found (empty = valid). */
export function validatePriceTable(doc: unknown): string[] {
  const problems: string[] = []
  if (!doc || typeof doc !== 'object' || typeof (doc as PriceTable).models !== 'object')
    return ['expected an object with "models"']
  for (const [id, p] of Object.entries((doc as PriceTable).models)) {
    for (const f of ['input', 'output', 'cacheWrite5m', 'cacheWrite1h', 'cacheRead'] as const) {
      if (typeof p?.[f] !== 'number' || !(p[f] >= 0))
        problems.push(`${id}.${f}: expected a non-negative number`)
    }
  }
  return problems
}

/** Merges an override table into the bundled one (override wins per model). */
export function mergeTables(base: PriceTable, override: PriceTable | null): PriceTable {
  if (!override) return base
  return {
    ...base,
    models: { ...base.models, ...override.models },
    version: override.version ?? base.version,
  }
}

/** Where an override table comes from. */
export interface PriceSource {
  /** Returns the text, or null when unchanged since the last call. */
  read(): Promise<string | null>
}

/** Options of {@link createPricing}. */
export interface PricingOptions {
  bundled: PriceTable
  override?: PriceSource
  onError?: (message: string) => void
}

/** The live pricing: bundled table plus an optional override that is re-read by `refresh()`. */
export function createPricing(options: PricingOptions) {
  let table = options.bundled
  let index = createPriceIndex(table)
  let overrideVersion: string | null = null
  async function refresh(): Promise<boolean> {
    if (!options.override) return false
    let text: string | null
    try {
      text = await options.override.read()
    } catch (err) {
      options.onError?.(
        `Cannot read the pricing override: ${err instanceof Error ? err.message : String(err)}`,
      )
      return false
    }
    if (text === null) return false
    let doc: unknown
    try {
      doc = JSON.parse(text)
    } catch {
      options.onError?.(
        'Cannot use the pricing override: it is not valid JSON (keeping the previous prices)',
      )
      return false
    }
    const problems = validatePriceTable(doc)
    if (problems.length) {
      options.onError?.(
        `Cannot use the pricing override: ${problems.slice(0, 5).join('; ')} (keeping the previous prices)`,
      )
      return false
    }
    table = mergeTables(options.bundled, doc as PriceTable)
    index = createPriceIndex(table)
    overrideVersion = (doc as PriceTable).version ?? 'override'
    return true
  }
  return {
    refresh,
    cost: (model: string, usage: TokenUsage) => index.cost(model, usage),
    find: (model: string) => index.find(model),
    table: () => table,
    overrideVersion: () => overrideVersion,
  }
}

/** The pricing service's interface. */
export type Pricing = ReturnType<typeof createPricing>

/** An override fetched from an http(s) URL; unchanged answers (ETag / same text) read as null. */
export function urlPriceSource(url: string, fetchFn: typeof fetch = fetch): PriceSource {
  let etag: string | null = null
  let last: string | null = null
  return {
    async read() {
      const res = await fetchFn(url, {
        headers: etag ? { 'if-none-match': etag } : {},
        signal: AbortSignal.timeout(15_000),
        redirect: 'error',
      })
      if (res.status === 304) return null
      if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`)
      etag = res.headers.get('etag')
      const text = await res.text()
      if (text === last) return null
      last = text
      return text
    },
  }
}
