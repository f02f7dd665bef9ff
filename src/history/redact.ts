/**
 * @module
 * Secret redaction for captured bodies. Works on text (captured bodies may be cut mid-JSON):
 * values of secret-named fields, relay keys, Anthropic keys and tokens, bearer credentials and
 * every configured secret (account tokens and keys, admin password, signing and encryption keys)
 * are replaced by `[REDACTED]`.
 */

const FIELD_RE =
  /("(?:authorization|proxy-authorization|x-api-key|x-goog-api-key|api[-_]?key|apikey|password|passwd|secret|client_secret|token|access_token|refresh_token|id_token|cookie|set-cookie)"\s*:\s*")((?:[^"\\]|\\.)*)(")/gi
const PATTERNS = [
  /cr_[0-9a-f]{64}/g,
  /sk-ant-[A-Za-z0-9_-]{10,}/g,
  /\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g,
  /\bsk-[A-Za-z0-9_-]{20,}/g,
]

// The field names of FIELD_RE in quotes: a plain /token/ would match every "max_tokens".
const FIELD_HINT =
  /"(?:proxy-)?(?:authorization|x-api-key|x-goog-api-key|api[-_]?key|apikey|passw(?:or)?d|secret|client_secret|(?:access_|refresh_|id_)?token|(?:set-)?cookie)"\s*:/i
const PATTERN_HINT = /cr_|sk-|Bearer|Basic/

/** Redacts secrets in `text`; `known` are literal secrets (shorter than 6 characters are ignored). */
export function redactText(text: string, known: readonly string[] = []): string {
  if (!text) return text
  let out = text
  // Cheap tests first: most bodies contain none of the markers and skip the replacements.
  if (FIELD_HINT.test(out)) {
    out = out.replace(FIELD_RE, (_m, a: string, v: string, c: string) =>
      v ? `${a}[REDACTED]${c}` : `${a}${c}`,
    )
  }
  if (PATTERN_HINT.test(out)) for (const re of PATTERNS) out = out.replace(re, '[REDACTED]')
  for (const secret of known) {
    if (secret.length >= 6 && out.includes(secret)) out = out.split(secret).join('[REDACTED]')
  }
  return out
}
