/**
 * @module
 * The environment variables of the seed's `.env.example` that this relay does not read as they
 * are. A few are translated (`LOG_LEVEL=verbose` and the seed's other winston levels, `DEBUG`,
 * `ENABLE_CORS`); the others are named at start in one warning line with what replaces them, so
 * nothing a migrating operator sets is silently ignored. Every variable of that file is either in
 * `schema.ts` (read as the seed reads it) or listed here.
 */

/** Seed variables not read as such, with what takes their place. */
export const SEED_ONLY_VARS: Record<string, string> = {
  NODE_ENV: 'nothing (one mode)',
  ADMIN_SESSION_TIMEOUT: 'ADMIN_SESSION_MAX_AGE (tokens last 24 h, refreshed)',
  STICKY_SESSION_RENEWAL_THRESHOLD_MINUTES: 'renewal on every request (STICKY_SESSION_TTL_HOURS)',
  CLAUDE_BETA_HEADER: 'the beta header computed per request',
  CLAUDE_OVERLOAD_HANDLING_MINUTES: 'a 529 always keeps the account out 5 minutes',
  CLAUDE_CONSOLE_BLOCKED_HANDLING_MINUTES: 'blocked accounts wait for an admin reset',
  DEFAULT_PROXY_TIMEOUT: 'REQUEST_TIMEOUT',
  MAX_PROXY_RETRIES: 'MAX_ACCOUNT_TRIES',
  PROXY_USE_IPV4: 'the system resolver',
  PROXY_KEEP_ALIVE: 'pooled connections (always on)',
  PROXY_MAX_SOCKETS: 'pooled connections (always on)',
  PROXY_MAX_FREE_SOCKETS: 'pooled connections (always on)',
  DEFAULT_TOKEN_LIMIT: 'per-key tokenLimit (unused by the seed too)',
  HEALTH_CHECK_INTERVAL: 'nothing (unused by the seed too)',
  METRICS_WINDOW: 'the dashboard realtime window (a query parameter)',
  WEB_TITLE: 'the OEM settings (admin UI)',
  WEB_DESCRIPTION: 'the OEM settings (admin UI)',
  WEB_LOGO_URL: 'the OEM settings (admin UI)',
  WEB_SESSION_SECRET: 'JWT_SECRET',
  DEBUG_HTTP_TRAFFIC: 'LOG_LEVEL=debug and request history',
  HOT_RELOAD: 'npm run dev',
  USER_MANAGEMENT_ENABLED: 'admin-issued keys (no user accounts)',
  DEFAULT_USER_ROLE: 'admin-issued keys (no user accounts)',
  USER_SESSION_TIMEOUT: 'admin-issued keys (no user accounts)',
  MAX_API_KEYS_PER_USER: 'admin-issued keys (no user accounts)',
  ALLOW_USER_DELETE_API_KEYS: 'admin-issued keys (no user accounts)',
  WEBHOOK_ENABLED: 'the webhook settings (/admin/webhook)',
  WEBHOOK_URLS: 'the webhook settings (/admin/webhook)',
  WEBHOOK_TIMEOUT: 'the webhook settings (/admin/webhook)',
  WEBHOOK_RETRIES: 'the webhook settings (/admin/webhook)',
  BILLING_EVENTS_ENABLED: 'request history and /metrics',
  GITHUB_REPOSITORY: 'PRICING_FILE',
  CLAUDE_CODE_USE_BEDROCK: 'Bedrock accounts (admin)',
  ANTHROPIC_MODEL: 'Bedrock accounts (admin)',
  ANTHROPIC_SMALL_FAST_MODEL: 'Bedrock accounts (admin)',
  ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION: 'Bedrock accounts (admin)',
  CLAUDE_CODE_MAX_OUTPUT_TOKENS: 'the client’s max_tokens (clamped per model)',
  MAX_THINKING_TOKENS: 'the client’s thinking budget',
  DISABLE_PROMPT_CACHING: 'the client’s cache_control',
  APP_VERSION: 'the package version',
  VERSION: 'the package version',
}

/** Prefixes of seed variable families not read as such. */
const SEED_ONLY_PREFIXES: [prefix: string, replacement: string][] = [
  ['LDAP_', 'admin-issued keys (no LDAP sign-in)'],
  ['PRICE_MIRROR_', 'PRICING_FILE'],
]

/** The seed's winston levels that are not ours. */
const LOG_LEVELS: Record<string, string> = {
  verbose: 'debug',
  silly: 'debug',
  http: 'info',
  warning: 'warn',
  crit: 'error',
  fatal: 'error',
}

/** The environment with the seed's spellings translated (the map given is not changed). */
export function normaliseSeedEnv(
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  const out = { ...env }
  const level = env.LOG_LEVEL?.trim().toLowerCase()
  if (level && LOG_LEVELS[level]) out.LOG_LEVEL = LOG_LEVELS[level]
  else if (level) out.LOG_LEVEL = level
  if (!out.LOG_LEVEL && /^(1|true|yes)$/i.test(env.DEBUG ?? '')) out.LOG_LEVEL = 'debug'
  if (!env.CORS_ORIGINS?.trim() && /^(1|true|yes)$/i.test(env.ENABLE_CORS ?? ''))
    out.CORS_ORIGINS = '*'
  return out
}

/** One warning line naming the seed variables set that this relay reads differently, or null. */
export function seedEnvNotice(env: Record<string, string | undefined>): string | null {
  const parts: string[] = []
  const set = (name: string) => (env[name] ?? '').trim() !== ''
  for (const [name, instead] of Object.entries(SEED_ONLY_VARS))
    if (set(name)) parts.push(`${name} (→ ${instead})`)
  for (const [prefix, instead] of SEED_ONLY_PREFIXES) {
    const names = Object.keys(env).filter((n) => n.startsWith(prefix) && set(n))
    if (names.length) parts.push(`${names.sort().join(', ')} (→ ${instead})`)
  }
  const level = env.LOG_LEVEL?.trim().toLowerCase()
  if (level && LOG_LEVELS[level]) parts.push(`LOG_LEVEL=${level} (read as ${LOG_LEVELS[level]})`)
  if (set('DEBUG')) parts.push('DEBUG (→ LOG_LEVEL=debug)')
  if (set('ENABLE_CORS')) parts.push('ENABLE_CORS (→ CORS_ORIGINS)')
  if (parts.length === 0) return null
  return `Variables of the old system read differently here: ${parts.join('; ')}`
}
