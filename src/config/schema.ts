/**
 * @module
 * The single list of environment variables. Property names are the variable names; every entry
 * has a default (or is optional) and a description that the README's configuration table and
 * `.env.example` are checked against.
 */
import { type Static, Type as T } from '@sinclair/typebox'

const Int = (def: number, min: number, max: number, description: string) =>
  T.Integer({ default: def, minimum: min, maximum: max, description })

/** Every environment variable the service reads. */
export const ConfigSchema = T.Object({
  PORT: Int(3000, 1, 65535, 'TCP port to listen on.'),
  HOST: T.String({ default: '0.0.0.0', minLength: 1, description: 'Interface to bind.' }),
  TRUST_PROXY: T.String({
    default: 'false',
    pattern: '^[0-9A-Za-z.:/,\\s\\[\\]]+$',
    description:
      "Reverse proxies in front of the relay whose X-Forwarded-For entries are trusted: false (the socket address is the client), true or a number of proxies (the client is that many entries from the right), or a comma list of proxy IPs/CIDRs (loopback, private, linklocal allowed) skipped from the right. Entries left of those are the client's own and never trusted.",
  }),
  METRICS_TOKEN: T.Optional(
    T.String({
      minLength: 16,
      description:
        'Bearer token for /metrics; when unset, /metrics answers loopback clients only (and, without TRUST_PROXY, only requests no proxy forwarded).',
    }),
  ),
  ADMIN_SESSION_MAX_AGE: Int(
    7 * 86_400_000,
    3_600_000,
    90 * 86_400_000,
    'Milliseconds an admin sign-in lasts at most: refreshing the 24-hour token never extends a session past this.',
  ),
  DATA_DIR: T.String({
    default: './data',
    minLength: 1,
    description: 'Directory for the SQLite file, generated secrets and pricing overrides.',
  }),
  JWT_SECRET: T.Optional(
    T.String({
      minLength: 32,
      description: 'Secret that signs admin session tokens. Generated into DATA_DIR when unset.',
    }),
  ),
  ENCRYPTION_KEY: T.Optional(
    T.String({
      minLength: 32,
      description:
        'Key material for account secrets and the API-key hash salt (keep the old value when migrating). Generated when unset.',
    }),
  ),
  ADMIN_USERNAME: T.Optional(
    T.String({ minLength: 1, maxLength: 64, description: 'Admin user name (default admin).' }),
  ),
  ADMIN_PASSWORD: T.Optional(
    T.String({
      minLength: 8,
      maxLength: 256,
      description: 'Initial admin password. Generated and printed once when unset.',
    }),
  ),
  REDIS_URL: T.Optional(
    T.String({
      pattern: '^rediss?://',
      description: 'Redis URL; when set (or REDIS_HOST), all state lives in Redis.',
    }),
  ),
  REDIS_HOST: T.Optional(
    T.String({
      minLength: 1,
      description: 'Redis host (deploy-guide style); selects Redis storage.',
    }),
  ),
  REDIS_PORT: Int(6379, 1, 65535, 'Redis port, with REDIS_HOST.'),
  REDIS_PASSWORD: T.Optional(T.String({ description: 'Redis password, with REDIS_HOST.' })),
  REDIS_DB: Int(0, 0, 255, 'Redis database number, with REDIS_HOST.'),
  REDIS_ENABLE_TLS: T.Boolean({
    default: false,
    description: 'Use TLS to Redis, with REDIS_HOST.',
  }),
  REDIS_CLUSTER: T.Boolean({
    default: false,
    description:
      'The Redis of REDIS_URL (or REDIS_HOST) is a node of a Redis Cluster; the others are discovered from it.',
  }),
  REDIS_CLUSTER_NODES: T.Optional(
    T.String({
      pattern: '^\\s*[^,\\s]+:[0-9]{1,5}\\s*(,\\s*[^,\\s]+:[0-9]{1,5}\\s*)*$',
      description:
        'More Redis Cluster seed nodes, host:port,host:port; alone (without REDIS_URL/REDIS_HOST) it selects Redis Cluster storage, with REDIS_PASSWORD and REDIS_ENABLE_TLS.',
    }),
  ),
  REDIS_PREFIX: T.String({
    default: 'crs',
    pattern: '^[A-Za-z0-9_.-]{1,32}$',
    description: 'Prefix of every Redis key.',
  }),
  LOG_LEVEL: T.Union(
    [T.Literal('debug'), T.Literal('info'), T.Literal('warn'), T.Literal('error')],
    {
      default: 'info',
      description: 'Minimum log level.',
    },
  ),
  LOG_DIR: T.String({
    default: '',
    description: 'Directory for rotated log files; empty logs to stdout only.',
  }),
  LOG_MAX_SIZE: T.String({
    default: '10m',
    pattern: '^[0-9]+[kKmMgG]?$',
    description: 'Rotate a log file at this size (e.g. 10m).',
  }),
  LOG_MAX_FILES: Int(5, 1, 1000, 'Rotated log files to keep.'),
  CLEANUP_INTERVAL: Int(
    3_600_000,
    10_000,
    86_400_000 * 7,
    'Milliseconds between cleanup runs (retention, expired keys).',
  ),
  TOKEN_USAGE_RETENTION: Int(
    2_592_000_000,
    3_600_000,
    86_400_000 * 3650,
    'Milliseconds to keep hourly/daily usage counters and history.',
  ),
  TIMEZONE_OFFSET: T.Number({
    default: 8,
    minimum: -12,
    maximum: 14,
    description: 'Hours east of UTC for day/month boundaries.',
  }),
  API_KEY_PREFIX: T.String({
    default: 'cr_',
    pattern: '^[A-Za-z0-9_-]{1,16}$',
    description: 'Prefix of issued API keys.',
  }),
  CLAUDE_API_URL: T.String({
    default: 'https://api.anthropic.com/v1/messages',
    pattern: '^https?://',
    description:
      'Upstream Messages URL for Claude OAuth accounts; count_tokens is derived from it.',
  }),
  CLAUDE_API_VERSION: T.String({
    default: '2023-06-01',
    description: 'Default anthropic-version header.',
  }),
  CLAUDE_OAUTH_TOKEN_URL: T.String({
    default: 'https://platform.claude.com/v1/oauth/token',
    pattern: '^https?://',
    description: 'OAuth token endpoint used for code exchange and refresh.',
  }),
  DROID_AUTH_URL: T.String({
    default: 'https://api.workos.com/user_management/authenticate',
    pattern: '^https?://',
    description: 'WorkOS token endpoint refreshing the Factory tokens of Droid accounts.',
  }),
  OPENAI_CHATGPT_BASE_URL: T.String({
    default: 'https://chatgpt.com',
    pattern: '^https?://',
    description:
      'Base URL of the ChatGPT backend that ChatGPT-login (Codex) accounts call (`<base>/backend-api/codex/responses`); an account may set its own.',
  }),
  OPENAI_OAUTH_TOKEN_URL: T.String({
    default: 'https://auth.openai.com/oauth/token',
    pattern: '^https?://',
    description:
      'OpenAI OAuth token endpoint (code exchange and refresh of ChatGPT-login accounts).',
  }),
  GEMINI_CODE_ASSIST_URL: T.String({
    default: 'https://cloudcode-pa.googleapis.com',
    pattern: '^https?://',
    description: 'Code Assist API of Gemini Google-login accounts (an account may set its own).',
  }),
  GEMINI_OAUTH_TOKEN_URL: T.String({
    default: 'https://oauth2.googleapis.com/token',
    pattern: '^https?://',
    description: 'Google OAuth token endpoint (Gemini code exchange and refresh).',
  }),
  REQUEST_TIMEOUT: Int(
    600_000,
    1000,
    3_600_000,
    'Upstream idle timeout in ms (resets on every received chunk).',
  ),
  MAX_ACCOUNT_TRIES: Int(
    3,
    1,
    10,
    'Accounts tried per request before the error is returned (failover).',
  ),
  STICKY_SESSION_TTL_HOURS: T.Number({
    default: 1,
    minimum: 0,
    maximum: 720,
    description: 'Sticky session lifetime; 0 disables.',
  }),
  CONCURRENCY_LEASE_MS: Int(
    300_000,
    1000,
    3_600_000,
    'Lifetime of a concurrency lease; renewed while the request runs, so a crashed request frees its slot after this.',
  ),
  CLAUDE_5H_WARNING_MAX_NOTIFICATIONS: Int(
    1,
    0,
    10,
    "Webhook notifications per 5-hour window when a Claude subscription's window reports a warning.",
  ),
  PRICING_FILE: T.String({
    default: '',
    description:
      'Path or http(s) URL of a price table (same format as src/usage/pricing.json) that extends or replaces bundled prices; re-read when it changes.',
  }),
  PRICING_RELOAD_INTERVAL: Int(
    60_000,
    5000,
    86_400_000,
    'Milliseconds between checks of PRICING_FILE for changes.',
  ),
  USAGE_FLUSH_INTERVAL: Int(
    250,
    10,
    60_000,
    'Milliseconds between batched writes of usage counters.',
  ),
  SQLITE_CHECKPOINTS: T.Union([T.Literal('thread'), T.Literal('inline')], {
    default: 'thread',
    description:
      'Where the SQLite WAL is copied back into the database file: `thread` (a thread of its own with its own connection, so the fsyncs of a checkpoint never hold up the thread that serves requests; Bun only, about 3 MB more memory) or `inline` (SQLite default: inside the commit that grows the WAL past 4 MB).',
  }),
  HISTORY_WRITER: T.Union([T.Literal('auto'), T.Literal('worker'), T.Literal('inline')], {
    default: 'auto',
    description:
      'Where request history records are built and written: `worker` (a thread of its own, off the thread that serves requests; Bun only; about 25 MB more memory), `inline` (the serving thread, between requests), or `auto` (worker on machines with 4 or more CPUs, else inline).',
  }),
  MAX_BODY_SIZE: Int(
    32 * 1024 * 1024,
    1024,
    512 * 1024 * 1024,
    'Largest accepted request body in bytes.',
  ),
  SHUTDOWN_TIMEOUT: Int(
    30_000,
    0,
    600_000,
    'Milliseconds in-flight requests get to finish on SIGTERM.',
  ),
  CLAUDE_OAUTH_AUTHORIZE_URL: T.String({
    default: 'https://claude.ai/oauth/authorize',
    pattern: '^https?://',
    description: 'OAuth authorize page the admin opens to onboard a Claude subscription account.',
  }),
  CLAUDE_OAUTH_REDIRECT_URI: T.String({
    default: 'https://platform.claude.com/oauth/code/callback',
    pattern: '^https?://',
    description: 'OAuth redirect_uri sent in the authorize URL and the code exchange.',
  }),
  CLAUDE_OAUTH_SCOPES: T.String({
    default:
      'org:create_api_key user:profile user:inference user:sessions:claude_code user:mcp_servers user:file_upload',
    minLength: 1,
    description:
      'Space-separated OAuth scopes requested when onboarding (setup tokens always use user:inference).',
  }),
  UPSTREAM_ALLOW_HOSTS: T.String({
    default: '',
    description:
      'Comma list of hostnames (.suffix for subdomains), IPs and CIDRs, each optionally with :port, that admin-entered URLs (console apiUrl, proxies, webhooks) may always reach, e.g. 127.0.0.1:8080,gateway.lan. A listed name may be one only a proxy resolves; cloud metadata stays refused.',
  }),
  UPSTREAM_DENY_HOSTS: T.String({
    default: '',
    description:
      'Comma list of hostnames, IPs and CIDRs (optionally with :port) that admin-entered URLs may never reach (wins over UPSTREAM_ALLOW_HOSTS).',
  }),
  UPSTREAM_ALLOW_PRIVATE: T.Boolean({
    default: false,
    description:
      'Let admin-entered URLs reach loopback, unspecified and link-local addresses (development only; cloud metadata stays refused). Private LAN ranges are always allowed.',
  }),
  CORS_ORIGINS: T.String({
    default: '',
    description:
      'Comma list of browser origins (or *) allowed to call the client API routes cross-origin; empty disables CORS. Admin routes never get CORS.',
  }),
})

/** The validated configuration. */
export type Config = Static<typeof ConfigSchema>

/** Names of every configuration variable, in schema order. */
export const CONFIG_KEYS = Object.keys(ConfigSchema.properties) as (keyof Config)[]
