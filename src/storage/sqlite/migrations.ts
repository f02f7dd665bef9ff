/**
 * @module
 * The SQLite schema as an ordered list of migrations. The applied count is kept in
 * `PRAGMA user_version`; each pending migration runs in its own transaction together with the
 * version bump, so a crash never leaves a half-applied step. Append new steps; never edit old ones.
 */
import type { Static, TObject } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { Logger } from '../../core/ports.ts'
import { COUNTER_FIELDS } from '../../usage/model.ts'
import type { SqlDatabase } from './driver.ts'

/** Column name of a camelCase field (`costNanos` → `cost_nanos`). */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z0-9]+/g, (m) => `_${m.toLowerCase()}`)
}

const counterColumns = COUNTER_FIELDS.map((f) => `  ${snakeCase(f)} INTEGER NOT NULL DEFAULT 0,`)

/**
 * Parses a stored JSON document, giving properties added to `schema` since it was written their
 * defaults. Only missing top-level properties are filled: `Value.Default` on the whole document
 * would rewrite present values, e.g. turn `supportedModels: {a: 'b'}` into an array because that
 * union's default is `[]` (TypeBox merges object values into an object default).
 */
export function decodeDoc<S extends TObject>(schema: S, text: string): Static<S> {
  const doc = JSON.parse(text) as Record<string, unknown>
  for (const [name, property] of Object.entries(schema.properties)) {
    if (doc[name] === undefined && 'default' in property)
      doc[name] = Value.Default(property, undefined)
  }
  return doc as Static<S>
}

/** Epoch ms of an ISO `createdAt` for ordering; 0 when unparsable (such rows sort first). */
export function createdMs(createdAt: string): number {
  const ms = Date.parse(createdAt)
  return Number.isFinite(ms) ? ms : 0
}

/** Schema steps; step i brings user_version from i to i + 1. */
export const MIGRATIONS: readonly string[] = [
  `
CREATE TABLE api_keys (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  hash TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX api_keys_created ON api_keys (created_ms, seq);

CREATE TABLE accounts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  doc TEXT NOT NULL
);

CREATE TABLE account_state (
  account_id TEXT PRIMARY KEY,
  doc TEXT NOT NULL
);

CREATE TABLE account_groups (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  doc TEXT NOT NULL
);

CREATE TABLE usage_counters (
  scope TEXT NOT NULL,
  id TEXT NOT NULL,
  model TEXT NOT NULL DEFAULT '',
  period TEXT NOT NULL,
${counterColumns.join('\n')}
  expires_at INTEGER,
  PRIMARY KEY (scope, id, model, period)
);
CREATE INDEX usage_counters_scope_period ON usage_counters (scope, period, id, model);
CREATE INDEX usage_counters_expires ON usage_counters (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE leases (
  scope TEXT NOT NULL,
  owner TEXT NOT NULL,
  lease TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (scope, owner, lease)
);
CREATE INDEX leases_expires ON leases (expires_at);

CREATE TABLE rate_windows (
  key_id TEXT PRIMARY KEY,
  start INTEGER NOT NULL,
  requests INTEGER NOT NULL DEFAULT 0,
  tokens INTEGER NOT NULL DEFAULT 0,
  cost_nanos INTEGER NOT NULL DEFAULT 0,
  expires_at INTEGER NOT NULL
);
CREATE INDEX rate_windows_expires ON rate_windows (expires_at);

CREATE TABLE sticky (
  key_id TEXT NOT NULL,
  session_hash TEXT NOT NULL,
  account_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (key_id, session_hash)
);
CREATE INDEX sticky_expires ON sticky (expires_at);

CREATE TABLE history (
  id TEXT PRIMARY KEY,
  start_time INTEGER NOT NULL,
  end_time INTEGER NOT NULL,
  duration_ms REAL NOT NULL,
  ttfb_ms REAL,
  overhead_ms REAL,
  key_id TEXT NOT NULL,
  key_name TEXT NOT NULL,
  account_id TEXT NOT NULL,
  account_name TEXT NOT NULL,
  model TEXT NOT NULL,
  stream INTEGER NOT NULL,
  endpoint TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  status INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  error_type TEXT NOT NULL,
  error_message TEXT NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cache_create_5m_tokens INTEGER NOT NULL,
  cache_create_1h_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cost_nanos INTEGER NOT NULL,
  tries INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  attempts TEXT NOT NULL,
  request_body TEXT NOT NULL,
  response_body TEXT NOT NULL
);
CREATE INDEX history_start ON history (start_time, id);
CREATE INDEX history_key_start ON history (key_id, start_time, id);
CREATE INDEX history_account_start ON history (account_id, start_time, id);
CREATE INDEX history_model_start ON history (model, start_time, id);
CREATE INDEX history_outcome_start ON history (outcome, start_time, id);

-- Running totals so size() and trimToBytes() need no full scan. write() deletes before it
-- inserts (REPLACE would skip the delete trigger unless recursive_triggers is on).
CREATE TABLE history_totals (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  count INTEGER NOT NULL,
  bytes INTEGER NOT NULL
);
INSERT INTO history_totals (id, count, bytes) VALUES (0, 0, 0);
CREATE TRIGGER history_totals_insert AFTER INSERT ON history BEGIN
  UPDATE history_totals SET count = count + 1, bytes = bytes + NEW.bytes WHERE id = 0;
END;
CREATE TRIGGER history_totals_delete AFTER DELETE ON history BEGIN
  UPDATE history_totals SET count = count - 1, bytes = bytes - OLD.bytes WHERE id = 0;
END;

CREATE TABLE settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE audit (
  id TEXT PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  ip TEXT NOT NULL,
  before_doc TEXT NOT NULL,
  after_doc TEXT NOT NULL
);
CREATE INDEX audit_at ON audit (at);

CREATE TABLE locks (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);

CREATE TABLE temp (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX temp_expires ON temp (expires_at);
`,
  // 2: a covering index for statistics over a time range: a day's stats read only the index,
  // never the rows with their bodies.
  `
CREATE INDEX history_stats ON history (
  start_time, model, outcome, status, input_tokens, output_tokens, cache_create_5m_tokens,
  cache_create_1h_tokens, cache_read_tokens, cost_nanos, duration_ms, ttfb_ms
);
`,
  // 3: leases, rate windows and sticky sessions move to process memory (see limits-repo.ts).
  `
DROP TABLE leases;
DROP TABLE rate_windows;
DROP TABLE sticky;
`,
  // 4: history-repo.ts#write adds inserted records to history_totals once per batch.
  `
DROP TRIGGER history_totals_insert;
`,
  // 5: the platform of the account that answered (records written before: '').
  `
ALTER TABLE history ADD COLUMN platform TEXT NOT NULL DEFAULT '';
`,
  // 6: the client's request headers (JSON, credentials redacted; '' on older rows).
  `
ALTER TABLE history ADD COLUMN request_headers TEXT NOT NULL DEFAULT '';
`,
  // 7: reasoning tokens of an OpenAI answer (NULL: none reported).
  `
ALTER TABLE history ADD COLUMN reasoning_tokens INTEGER;
`,
]

/** Applies every migration newer than the database's `user_version`; returns the new version. */
export function migrate(db: SqlDatabase, logger?: Logger): number {
  const row = db.get<{ user_version: number }>('PRAGMA user_version')
  let version = Number(row?.user_version ?? 0)
  if (version > MIGRATIONS.length) {
    throw new Error(
      `Cannot open SQLite database: schema version ${version} is newer than this build (${MIGRATIONS.length})`,
    )
  }
  for (; version < MIGRATIONS.length; version++) {
    const sql = MIGRATIONS[version]!
    const next = version + 1
    db.transaction(() => {
      db.exec(sql)
      db.exec(`PRAGMA user_version = ${next}`)
    })
    logger?.info('sqlite migration applied', { version: next })
  }
  return version
}
