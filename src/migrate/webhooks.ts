/**
 * @module
 * The old system's webhook configuration (`webhook_config:default`, one JSON string: `enabled`,
 * `platforms`, `notificationTypes`, `retrySettings`) mapped onto our `webhooks` settings document:
 * its switches and retry policy are taken, and each platform is checked by the same rules as one
 * an admin adds (a platform they refuse is skipped with the reason) and stored sealed under its
 * old id, so a re-run replaces it instead of adding it twice. Our per-event switches are kept.
 */
import type { SecretBox } from '../core/crypto.ts'
import { newId } from '../core/ids.ts'
import { normalizeSettings, parsePlatformInput, sealPlatform } from '../notify/config.ts'
import type { StoredWebhookPlatform, WebhookSettings } from '../notify/model.ts'

/** What mapping the old configuration gave. */
export interface MappedWebhooks {
  doc: WebhookSettings
  /** Platforms new to our document, and ones that replaced a platform of the same id. */
  added: number
  replaced: number
  /** reason → count of platforms not taken. */
  skipped: Record<string, number>
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** `raw` (the parsed old document) applied to `current` (our document, or its defaults). */
export async function mapWebhookConfig(
  raw: Record<string, unknown>,
  current: WebhookSettings,
  box: Pick<SecretBox, 'encrypt'>,
  now: number,
): Promise<MappedWebhooks> {
  const retry = isRecord(raw.retrySettings) ? raw.retrySettings : {}
  // The old names read through our tolerant reader: bad or missing values keep the defaults.
  const read = normalizeSettings({
    enabled: raw.enabled,
    notificationTypes: raw.notificationTypes,
    retry: {
      maxRetries: retry.maxRetries ?? current.retry.maxRetries,
      retryDelayMs: retry.retryDelay ?? current.retry.retryDelayMs,
      timeoutMs: retry.timeout ?? current.retry.timeoutMs,
    },
  })
  const doc: WebhookSettings = {
    ...current,
    enabled: typeof raw.enabled === 'boolean' ? raw.enabled : current.enabled,
    notificationTypes: isRecord(raw.notificationTypes)
      ? read.notificationTypes
      : current.notificationTypes,
    retry: read.retry,
    platforms: [...current.platforms],
  }
  const out: MappedWebhooks = { doc, added: 0, replaced: 0, skipped: {} }
  const stamp = new Date(now).toISOString()
  for (const p of Array.isArray(raw.platforms) ? raw.platforms : []) {
    if (!isRecord(p)) {
      out.skipped['a platform that is not an object'] =
        (out.skipped['a platform that is not an object'] ?? 0) + 1
      continue
    }
    const input: Record<string, unknown> = { ...p }
    // The old system signs only with `enableSign`; a secret kept without it was never used.
    if (p.enableSign !== true) delete input.secret
    for (const unused of ['id', 'enableSign', 'createdAt', 'updatedAt', 'proxyUrl'])
      delete input[unused]
    let stored: StoredWebhookPlatform
    const id = typeof p.id === 'string' && p.id ? p.id : newId()
    try {
      stored = await sealPlatform(box, id, parsePlatformInput(input, null), stamp, now)
    } catch (err) {
      const reason = `${String(p.type)} platform: ${err instanceof Error ? err.message : String(err)}`
      out.skipped[reason] = (out.skipped[reason] ?? 0) + 1
      continue
    }
    const at = doc.platforms.findIndex((x) => x.id === id)
    if (at >= 0) {
      doc.platforms[at] = { ...stored, createdAt: doc.platforms[at]!.createdAt }
      out.replaced++
    } else {
      doc.platforms.push(stored)
      out.added++
    }
  }
  return out
}
