/**
 * @module
 * The live prices of a relay: the bundled table, extended or replaced by PRICING_FILE (a local
 * file or an http(s) URL) when set, loaded at start and re-read every PRICING_RELOAD_INTERVAL. A
 * bad override keeps the previous prices and is logged; a good one is logged with its version.
 */
import type { Config } from '../config/schema.ts'
import type { Logger } from '../core/ports.ts'
import bundledPrices from './pricing.json' with { type: 'json' }
import {
  createPricing,
  type PriceSource,
  type PriceTable,
  type Pricing,
  urlPriceSource,
} from './pricing.ts'

/** Loads prices; `stop()` ends the reloading. */
export async function loadPricing(options: {
  config: Pick<Config, 'PRICING_FILE' | 'PRICING_RELOAD_INTERVAL'>
  logger: Logger
  /** Reads a local override file (PRICING_FILE that is a path). */
  filePriceSource?: (path: string) => PriceSource
}): Promise<{ pricing: Pricing; stop(): void }> {
  const { config, logger } = options
  const source = config.PRICING_FILE
  const override = !source
    ? undefined
    : /^https?:\/\//.test(source)
      ? urlPriceSource(source)
      : options.filePriceSource?.(source)
  const pricing = createPricing({
    bundled: bundledPrices as PriceTable,
    override,
    onError: (message) => logger.error(message, { source }),
  })
  if (!override) return { pricing, stop: () => {} }
  const reload = async (verb: string) => {
    if (await pricing.refresh())
      logger.info(`price override ${verb}`, { source, version: pricing.overrideVersion() })
  }
  await reload('loaded')
  const timer = setInterval(() => void reload('reloaded'), config.PRICING_RELOAD_INTERVAL)
  ;(timer as { unref?: () => void }).unref?.()
  return { pricing, stop: () => clearInterval(timer) }
}
