/**
 * @module
 * Shapes of the admin and key-holder API responses the UI reads (see `/openapi/json`). Those the
 * server declares as schemas are its own types (`import type`, erased from the bundle); the rest
 * are still written here until their routes declare them.
 */

import type { GroupListItem } from '../../src/accounts/admin.ts'
import type { AccountPlatform, AccountState, ProxyConfig } from '../../src/accounts/model.ts'
import type { AccountView } from '../../src/accounts/views.ts'
import type { AuditEntryView } from '../../src/admin/audit-page.ts'
import type { HistoryRecordView, HistoryStatsView } from '../../src/history/admin-view.ts'
import type { AuthUrl } from '../../src/http/schemas/accounts.ts'
import type { HistoryConfigView } from '../../src/http/schemas/history.ts'
import type { KeyLimits } from '../../src/http/schemas/key-holder.ts'
import type { CreatedKey, ModelStat, SupportedClient } from '../../src/http/schemas/keys.ts'
import type { KeyListItem, KeyStatus, KeyView } from '../../src/keys/admin.ts'
import type { KeyPermission } from '../../src/keys/model.ts'
import type { KeyInput as ServerKeyInput } from '../../src/keys/service.ts'
import type { ProbeResult } from '../../src/platforms/probe-result.ts'
import type { TrendPoint, UsageView } from '../../src/usage/views.ts'

export type { UsageWindow, UsageWindows } from '../../src/accounts/views.ts'
export type { HistorySummary, Outcome } from '../../src/history/model.ts'
export type { HistoryPage } from '../../src/http/schemas/history.ts'
export type {
  BatchKeyStats,
  BatchStats,
  UserStats,
} from '../../src/http/schemas/key-holder.ts'
/** A change of the webhook configuration. */
export type { WebhookConfigBody as WebhookConfigInput } from '../../src/http/schemas/webhooks.ts'
export type { KeyPage } from '../../src/keys/admin.ts'
/** A webhook platform and the configuration as the admin API shows them. */
export type {
  WebhookConfigView as WebhookConfig,
  WebhookPlatformView as WebhookPlatform,
} from '../../src/notify/model.ts'
export type {
  AccountUsageStats,
  Dashboard,
  TopTrend,
  TopTrendItem,
  Trend,
} from '../../src/usage/analytics.ts'

/** An audit entry with its target's name. */
export type AuditEntry = AuditEntryView

export type {
  AccountState,
  AuthUrl,
  CreatedKey,
  KeyLimits,
  KeyStatus,
  ModelStat,
  ProxyConfig,
  SupportedClient,
  TrendPoint,
  UsageView,
}

/** What a key may call. */
export type Permissions = KeyPermission

/** The editable fields of a key. */
export type KeyInput = Required<ServerKeyInput>

/** A key as the admin API shows it; the list adds its status and usage. */
export type ApiKey = KeyView & Partial<Pick<KeyListItem, 'status' | 'usage'>>

/** Kind of upstream account. */
export type Platform = AccountPlatform

/** An account as the admin API shows it (never a secret). */
export type Account = AccountView

/** A group of the list, with its member count and bound keys. */
export type AccountGroup = GroupListItem

/** The account test's final event. */
export type AccountTestResult = ProbeResult

/** One failover try of a recorded request. */
export type HistoryAttempt = HistoryRecordView['attempts'][number]

/** A record as the admin API shows it: bodies, attempts, cost in dollars, token total. */
export type HistoryRecord = HistoryRecordView

/** The admin's history statistics. */
export type HistoryStats = HistoryStatsView

/** History capture and retention settings (and, when read, where records are written). */
export type HistoryConfig = HistoryConfigView

/** A key's limits with their current use and when each window resets. */
export interface KeyLimitUsage {
  limits: KeyLimits
  resets: { window: string | null; daily: string; weeklyOpus: string }
}

/** Usage of one account today, this month and in total. */
export interface AccountUsageSummary {
  today: UsageView
  month: UsageView
  total: UsageView
}

/** The OpenAI family's account kinds. */
export type OpenAIPlatform = 'openai' | 'openai-responses' | 'azure-openai'

/** An OpenAI-family account as the admin API lists it. */
export type OpenAIAccount = Omit<Account, 'platform'> & {
  platform: OpenAIPlatform
  options: Record<string, unknown>
}

/** One Codex usage window of a ChatGPT account. */
export interface CodexWindow {
  usedPercent: number
  windowMinutes: number | null
  resetAt: number | null
}

/** Codex usage windows and rate-limit end of a ChatGPT account. */
export interface CodexUsageRow {
  codexUsage: {
    updatedAt: number
    primary: CodexWindow | null
    secondary: CodexWindow | null
  } | null
  rateLimitedUntil: string | null
}

/** Site name and icon (OEM settings). */
export interface OemSettings {
  siteName: string
  siteIcon: string
  siteIconData: string
  showAdminButton: boolean
  updatedAt: string | null
}
