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
import type { HistoryBucket } from '../../src/history/model.ts'
import type { AuthUrl } from '../../src/http/schemas/accounts.ts'
import type { CreatedKey, ModelStat, SupportedClient } from '../../src/http/schemas/keys.ts'
import type { KeyListItem, KeyStatus, KeyView } from '../../src/keys/admin.ts'
import type { KeyPermission } from '../../src/keys/model.ts'
import type { KeyInput as ServerKeyInput } from '../../src/keys/service.ts'
import type { ProbeResult } from '../../src/platforms/probe-result.ts'
import type { TrendPoint, UsageView } from '../../src/usage/views.ts'

export type { UsageWindow, UsageWindows } from '../../src/accounts/views.ts'
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

export type Outcome = 'success' | 'error' | 'aborted' | 'rejected'

export interface HistorySummary {
  id: string
  startTime: number
  endTime: number
  durationMs: number
  ttfbMs: number | null
  overheadMs: number | null
  keyId: string
  keyName: string
  accountId: string
  accountName: string
  /** Platform of the account that answered (`claude-oauth`, …; '' when none did). */
  platform: string
  model: string
  stream: boolean
  endpoint: string
  userAgent: string
  status: number
  outcome: Outcome
  errorType: string
  errorMessage: string
  inputTokens: number
  outputTokens: number
  cacheCreate5mTokens: number
  cacheCreate1hTokens: number
  cacheReadTokens: number
  /** Of the output, reasoning (OpenAI), when the answer reported any. */
  reasoningTokens?: number
  costNanos: number
  tries: number
}

export interface HistoryAttempt {
  accountId: string
  accountName: string
  status: number
  error: string
  ms: number
}

export interface HistoryRecord extends HistorySummary {
  requestBody: string
  responseBody: string
  attempts: HistoryAttempt[]
  cost: number
  totalTokens: number
}

export interface HistoryPage {
  history: HistorySummary[]
  pagination: { limit: number; offset: number; total: number; hasMore: boolean }
}

export interface HistoryStats {
  totalRequests: number
  successRequests: number
  failedRequests: number
  byOutcome: Record<string, number>
  totalTokens: number
  inputTokens: number
  outputTokens: number
  cacheCreateTokens: number
  cacheReadTokens: number
  totalCost: number
  avgDuration: number
  avgTtfb: number
  modelStats: Record<string, { count: number; tokens: number; cost: number }>
  statusStats: Record<string, number>
  /** Requests as the usage counters count them (admitted Messages calls). */
  requests: number
  /** Of those, the failed or aborted ones. */
  requestsFailed: number
  rejected: number
  countTokens: number
  /** The server's buckets, cost in dollars. */
  series?: (Omit<HistoryBucket, 'costNanos'> & { cost: number })[]
}

export interface HistoryConfig {
  enabled: boolean
  captureBodies: boolean
  maxRequestBodySize: number
  maxResponseBodySize: number
  retentionDays: number
  maxTotalBytes: number
}

export interface KeyLimits {
  tokenLimit: number
  concurrencyLimit: number
  currentConcurrency: number
  rateLimitWindow: number
  rateLimitRequests: number
  rateLimitCost: number
  dailyCostLimit: number
  totalCostLimit: number
  weeklyOpusCostLimit: number
  currentWindowRequests: number
  currentWindowTokens: number
  currentWindowCost: number
  currentDailyCost: number
  currentTotalCost: number
  weeklyOpusCost: number
  windowStartTime: string | null
  windowEndTime: string | null
  windowRemainingSeconds: number
}

export interface UserStats {
  id: string
  name: string
  description: string
  isActive: boolean
  createdAt: string
  expiresAt: string | null
  expirationMode: string
  isActivated: boolean
  activationDays: number
  activationUnit: string
  activatedAt: string | null
  permissions: string
  usage: { total: UsageView; daily: UsageView; monthly: UsageView }
  limits: KeyLimits
  restrictions: {
    enableModelRestriction: boolean
    modelRestrictionMode: string
    restrictedModels: string[]
    enableClientRestriction: boolean
    allowedClients: string[]
  }
  /** The relay's zone (hours east of UTC): days and weeks of the limits start in it. */
  timezoneOffset: number
}

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

/** One key of a batch lookup on the public page. */
export interface BatchKeyStats {
  id: string
  name: string
  isActive: boolean
  expiresAt: string | null
  permissions: string
  usage: { daily: UsageView; monthly: UsageView; total: UsageView }
  periodUsage: UsageView
  limits: KeyLimits
  share: number
}

/** `/apiStats/api/batch-stats`. */
export interface BatchStats {
  period: 'daily' | 'monthly' | 'total'
  keyCount: number
  /** The relay's zone (hours east of UTC). */
  timezoneOffset: number
  aggregated: {
    usage: { daily: UsageView; monthly: UsageView; total: UsageView }
    periodUsage: UsageView
  }
  individual: BatchKeyStats[]
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
