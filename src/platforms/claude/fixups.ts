/**
 * @module
 * Request fix-ups before a Messages body goes to a Claude subscription (OAuth) account, the rules
 * the seed applies so a request that the API would refuse on a subscription still passes:
 *
 * - `max_tokens` above the model's output maximum is clamped to it;
 * - `ttl` is removed from every `cache_control` unless the account keeps it (`keepCacheTtl`);
 * - at most 4 blocks carry `cache_control` (the API's limit): the markers past 4 are removed,
 *   oldest first (messages from the first, then system, then tools); the blocks stay;
 * - `top_p` is removed when `temperature` is also set, on models that refuse both.
 *
 * The check walks the body once without copying; only when a rule fires is the body copied and
 * changed, so the usual request costs a scan and no re-encoding.
 */

/** The API's limit of blocks carrying `cache_control`. */
export const MAX_CACHE_BLOCKS = 4

/**
 * Output maxima of models whose limit the API enforces below what clients often ask for, by the
 * canonical names of the price table. A model not listed is not clamped unless the price table
 * gives its `maxOutputTokens` (a `PRICING_FILE` can add or change these).
 */
export const MAX_OUTPUT_TOKENS: Record<string, number> = {
  'claude-opus-4-0': 32_000,
  'claude-opus-4-1': 32_000,
  'claude-opus-4-5': 64_000,
  'claude-sonnet-4-0': 64_000,
  'claude-sonnet-4-5': 64_000,
  'claude-haiku-4-5': 64_000,
  'claude-3-7-sonnet-latest': 64_000,
  'claude-3-5-sonnet-latest': 8_192,
  'claude-3-5-haiku-latest': 8_192,
  'claude-3-haiku-20240307': 4_096,
  'claude-3-opus-latest': 4_096,
}

/** Whether `model` refuses `temperature` and `top_p` together (Opus 4.1+, Sonnet/Haiku 4.5+, 5+). */
export function refusesTemperatureWithTopP(model: string): boolean {
  const m = /claude-([a-z]+)-(\d{1,2})(?:-(\d{1,2}))?(?=$|[-@:[])/i.exec(model)
  if (!m) return false
  const family = m[1]!.toLowerCase()
  const major = Number(m[2])
  const minor = m[3] === undefined ? 0 : Number(m[3])
  if (major >= 5) return true
  if (major < 4) return false
  if (family === 'opus') return minor >= 1
  return minor >= 5
}

/** What a fix-up needs to know besides the body. */
export interface FixupContext {
  /** The model sent upstream. */
  model: string
  /** The output maximum of the model, or null when unknown (no clamp). */
  maxOutputTokens: number | null
  /** Keep `cache_control.ttl` (the account supports 1 h caching). */
  keepCacheTtl: boolean
}

type Block = Record<string, unknown>

interface CacheMark {
  block: Block
  ttl: boolean
}

/** The blocks carrying `cache_control`, oldest first: messages in order, then system, then tools. */
function cacheMarks(body: Record<string, unknown>): CacheMark[] {
  const out: CacheMark[] = []
  const visit = (b: unknown) => {
    if (!b || typeof b !== 'object') return
    const cc = (b as Block).cache_control
    if (cc && typeof cc === 'object') out.push({ block: b as Block, ttl: 'ttl' in (cc as Block) })
  }
  const messages = body.messages
  if (Array.isArray(messages))
    for (const m of messages) {
      const content = (m as Block | null)?.content
      if (Array.isArray(content)) for (const b of content) visit(b)
    }
  if (Array.isArray(body.system)) for (const b of body.system) visit(b)
  if (Array.isArray(body.tools)) for (const b of body.tools) visit(b)
  return out
}

/** The rules that would fire on `body` (names as recorded in history), without changing it. */
export function fixupsNeeded(body: Record<string, unknown>, ctx: FixupContext): string[] {
  const rules: string[] = []
  const max = body.max_tokens
  if (ctx.maxOutputTokens && typeof max === 'number' && max > ctx.maxOutputTokens)
    rules.push('max_tokens')
  const marks = cacheMarks(body)
  if (!ctx.keepCacheTtl && marks.some((m) => m.ttl)) rules.push('cache_ttl')
  if (marks.length > MAX_CACHE_BLOCKS) rules.push('cache_blocks')
  if (
    body.top_p !== undefined &&
    body.temperature !== undefined &&
    refusesTemperatureWithTopP(ctx.model)
  )
    rules.push('top_p')
  return rules
}

/** Copies of the containers that hold cache-marked blocks, so the client's body stays untouched. */
function copyForCache(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body }
  const copyBlocks = (list: unknown[]) =>
    list.map((b) => (b && typeof b === 'object' ? { ...(b as Block) } : b))
  if (Array.isArray(body.messages))
    out.messages = body.messages.map((m) =>
      m && typeof m === 'object' && Array.isArray((m as Block).content)
        ? { ...(m as Block), content: copyBlocks((m as Block).content as unknown[]) }
        : m,
    )
  if (Array.isArray(body.system)) out.system = copyBlocks(body.system)
  if (Array.isArray(body.tools)) out.tools = copyBlocks(body.tools)
  return out
}

/**
 * Applies the fix-ups to `body`: the changed copy and the rules that fired, or null when none
 * does (then the body goes as it is).
 */
export function applyFixups(
  body: Record<string, unknown>,
  ctx: FixupContext,
): { body: Record<string, unknown>; rules: string[] } | null {
  const rules = fixupsNeeded(body, ctx)
  if (rules.length === 0) return null
  const cache = rules.includes('cache_ttl') || rules.includes('cache_blocks')
  const out = cache ? copyForCache(body) : { ...body }
  if (rules.includes('max_tokens')) out.max_tokens = ctx.maxOutputTokens
  if (rules.includes('top_p')) delete out.top_p
  if (cache) {
    const marks = cacheMarks(out)
    if (rules.includes('cache_ttl'))
      for (const m of marks) {
        if (!m.ttl) continue
        const { ttl: _ttl, ...rest } = m.block.cache_control as Block
        m.block.cache_control = rest
      }
    for (const m of marks.slice(0, Math.max(0, marks.length - MAX_CACHE_BLOCKS)))
      delete m.block.cache_control
  }
  return { body: out, rules }
}

/** The output maximum of `model`: the price table's `maxOutputTokens`, else the table above. */
export function maxOutputOf(
  pricing: {
    find(model: string): { canonical: string; price: { maxOutputTokens?: number } } | null
  },
  model: string,
): number | null {
  const hit = pricing.find(model)
  if (!hit) return null
  return hit.price.maxOutputTokens ?? MAX_OUTPUT_TOKENS[hit.canonical] ?? null
}
