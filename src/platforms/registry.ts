/**
 * @module
 * The adapters of every account kind, looked up by platform; built once by the composition root.
 */
import type { AccountPlatform } from '../accounts/model.ts'
import type { FamilyName, PlatformAdapter, PlatformRegistry } from './adapter.ts'
import { FAMILIES } from './families.ts'

/** A registry over `adapters` (one per platform). */
export function createPlatformRegistry(adapters: readonly PlatformAdapter[]): PlatformRegistry {
  const byPlatform = new Map<AccountPlatform, PlatformAdapter>()
  const byFamily = new Map<FamilyName, AccountPlatform[]>()
  for (const a of adapters) {
    byPlatform.set(a.platform, a)
    const list = byFamily.get(a.family) ?? []
    list.push(a.platform)
    byFamily.set(a.family, list)
  }
  return {
    adapter(platform) {
      const a = byPlatform.get(platform)
      if (!a) throw new Error(`No adapter for platform "${platform}"`)
      return a
    },
    family: (name) => FAMILIES[name],
    platformsOf: (family) => byFamily.get(family) ?? [],
  }
}
