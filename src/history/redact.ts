/**
 * @module
 * Secret redaction for captured bodies and upstream errors. Works on text (captured bodies may be
 * cut mid-JSON): values of secret-named JSON fields (also JSON-escaped inside a string) and form
 * fields, relay keys, Anthropic keys and tokens, bearer credentials, JWTs, and the literal secrets
 * the caller knows (account keys and tokens) are replaced by `[REDACTED]`.
 *
 * Literals are redacted only when they are high-entropy ({@link isHighEntropySecret}): a key
 * holder can put guesses in a request and read back which one was redacted, so redacting a
 * password someone chose (the admin's, a proxy's) would answer those guesses outside the sign-in
 * limit. A random key or token cannot be guessed that way.
 */

const NAMES =
  'authorization|proxy-authorization|x-api-key|x-goog-api-key|api[-_]?key|apikey|password|passwd|secret|client_secret|token|access_token|refresh_token|id_token|cookie|set-cookie'
/** `"name": "value"`; a value cut off by the end of the text is taken to the end. */
const FIELD_RE = new RegExp(`("(?:${NAMES})"\\s*:\\s*")((?:[^"\\\\]|\\\\.)*)("|$)`, 'gi')
/** The same inside a JSON string: `\"name\":\"value\"` (any depth of escaping). */
const ESCAPED_FIELD_RE = new RegExp(
  `(\\\\+"(?:${NAMES})\\\\+"\\s*:\\s*\\\\+")([^"\\\\]*)(\\\\|$)`,
  'gi',
)
/** `name=value` form fields and query parameters (the name not part of a longer one). */
const FORM_RE =
  /(?<![\w-])((?:password|passwd|pwd|secret|client_secret|api[-_]?key|apikey|access_token|refresh_token|id_token|token)=)([^&\s"'\\<>]+)/gi
const PATTERNS = [
  /cr_[0-9a-f]{64}/g,
  /sk-ant-[A-Za-z0-9_-]{10,}/g,
  /\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g,
  /\bsk-[A-Za-z0-9_-]{20,}/g,
  // JWTs: a base64url JSON header and payload (both start with `{"`, so `eyJ`), then a signature.
  /\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
]

// The field names of FIELD_RE in quotes: a plain /token/ would match every "max_tokens". The
// backslashes that may come before the opening quote (an escaped field) are not part of it: a
// pattern that may start with nothing is tried at every character (68 KB: 108 µs against 17).
const FIELD_HINT =
  /"(?:proxy-)?(?:authorization|x-api-key|x-goog-api-key|api[-_]?key|apikey|passw(?:or)?d|secret|client_secret|(?:access_|refresh_|id_)?token|(?:set-)?cookie)\\*"\s*:/i
/** A FORM_RE name ending just before an `=` (the longest, `password`, has 8 characters). */
const FORM_NAME_END = /(?:passw(?:or)?d|pwd|secret|api[-_]?key|apikey|token)$/i
/**
 * Whether a FORM_RE name is followed by `=` anywhere: the `=`s are found with `indexOf` and the
 * name is checked before each (a case-insensitive alternation tried at every character took
 * 72 µs on a 68 KB capture; this, 14 µs).
 */
function hasFormHint(text: string): boolean {
  for (let i = text.indexOf('='); i >= 0; i = text.indexOf('=', i + 1))
    if (FORM_NAME_END.test(text.slice(Math.max(0, i - 8), i))) return true
  return false
}
/** Each PATTERNS match contains one of these (indexOf is several times faster than a regex). */
const PATTERN_HINTS = ['cr_', 'sk-', 'Bearer', 'Basic', 'eyJ']
const hasPatternHint = (text: string) => PATTERN_HINTS.some((h) => text.includes(h))

/** Shortest literal secret that is redacted. */
const MIN_SECRET_LENGTH = 20
/** Fewest bits (Shannon entropy of its characters × length) a literal secret must carry. */
const MIN_SECRET_BITS = 80

/**
 * True for a literal worth redacting: at least 20 characters carrying at least 80 bits by the
 * frequencies of its own characters. Provider keys and OAuth tokens are far above it; short,
 * repetitive or typed-in passwords mostly are not (and such a literal is never redacted).
 */
export function isHighEntropySecret(secret: string): boolean {
  if (secret.length < MIN_SECRET_LENGTH) return false
  const counts = new Map<string, number>()
  for (const c of secret) counts.set(c, (counts.get(c) ?? 0) + 1)
  let bits = 0
  for (const n of counts.values()) bits -= n * Math.log2(n / secret.length)
  return bits >= MIN_SECRET_BITS
}

/**
 * Redacts secrets in `text`; `known` are literal secrets, of which only high-entropy ones
 * ({@link isHighEntropySecret}) are redacted.
 */
export function redactText(text: string, known: readonly string[] = []): string {
  if (!text) return text
  let out = text
  // Cheap tests first: most bodies contain none of the markers and skip the replacements.
  if (FIELD_HINT.test(out)) {
    out = out.replace(FIELD_RE, (_m, a: string, v: string, c: string) =>
      v ? `${a}[REDACTED]${c}` : `${a}${c}`,
    )
    out = out.replace(ESCAPED_FIELD_RE, (_m, a: string, v: string, c: string) =>
      v ? `${a}[REDACTED]${c}` : `${a}${c}`,
    )
  }
  if (hasFormHint(out)) out = out.replace(FORM_RE, '$1[REDACTED]')
  if (hasPatternHint(out)) for (const re of PATTERNS) out = out.replace(re, '[REDACTED]')
  for (const secret of known) {
    if (out.includes(secret) && isHighEntropySecret(secret))
      out = out.split(secret).join('[REDACTED]')
  }
  return out
}
