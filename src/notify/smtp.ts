/**
 * @module
 * SMTP as a webhook platform (the seed's `smtp` type). A mail target is kept as one URL, sealed
 * like every webhook secret: `smtp://user:pass@host:port/?from=…&to=…` (`smtps://` for TLS from the
 * first byte; plain `smtp://` upgrades with STARTTLS when the server offers it). Sending goes
 * through a {@link MailSender} port, implemented with nodemailer by the runtime.
 */
import { InvalidRequestError } from '../core/errors.ts'

/** One mail to send. */
export interface Mail {
  from: string
  to: string[]
  subject: string
  text: string
}

/** Sends mail through an SMTP server given as a connection URL (no query). */
export type MailSender = (
  connection: string,
  mail: Mail,
  options: { timeoutMs: number },
) => Promise<void>

const ADDRESS = /^[^\s@<>,;]+@[^\s@<>,;]+$/
type Body = Record<string, unknown>

/** The mail target URL of a platform body: `url` as given, or the seed's separate fields. */
export function smtpUrlOf(input: Body): string | undefined {
  if (typeof input.url === 'string' && input.url.trim()) return checkSmtpUrl(input.url.trim())
  const host = typeof input.host === 'string' ? input.host.trim() : ''
  if (!host) return undefined
  const secure = input.secure === true || input.secure === 'true'
  const port = Number(input.port ?? (secure ? 465 : 587))
  const u = new URL(`${secure ? 'smtps' : 'smtp'}://placeholder`)
  u.hostname = host
  u.port = String(port)
  if (typeof input.user === 'string' && input.user) u.username = input.user
  if (typeof input.pass === 'string' && input.pass) u.password = input.pass
  const from = typeof input.from === 'string' ? input.from : ''
  const to = Array.isArray(input.to)
    ? input.to.join(',')
    : typeof input.to === 'string'
      ? input.to
      : ''
  u.searchParams.set('from', from)
  u.searchParams.set('to', to)
  return checkSmtpUrl(u.toString())
}

/** Checks a mail target URL; returns it unchanged. */
export function checkSmtpUrl(text: string): string {
  let u: URL
  try {
    u = new URL(text)
  } catch {
    throw new InvalidRequestError('url: expected smtp://user:pass@host:port/?from=…&to=…')
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:')
    throw new InvalidRequestError('url: an smtp:// or smtps:// URL is expected for smtp')
  if (!u.hostname) throw new InvalidRequestError('host: required for smtp')
  const { from, to } = addressesOf(u)
  if (!ADDRESS.test(from)) throw new InvalidRequestError('from: expected an e-mail address')
  if (to.length === 0 || !to.every((a) => ADDRESS.test(a)))
    throw new InvalidRequestError('to: expected one or more e-mail addresses')
  return text
}

/** Sender and recipients of a mail target URL. */
export function addressesOf(u: URL): { from: string; to: string[] } {
  return {
    from: u.searchParams.get('from') ?? '',
    to: (u.searchParams.get('to') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  }
}

/** The connection part of a mail target URL (no query) and its addresses. */
export function splitSmtpUrl(text: string): { connection: string; from: string; to: string[] } {
  const u = new URL(text)
  const { from, to } = addressesOf(u)
  u.search = ''
  return { connection: u.toString(), from, to }
}

/** Host and port of a mail target as an https URL, for the outbound URL policy. */
export function policyUrlOf(text: string): string {
  const u = new URL(text)
  return `https://${u.hostname}:${u.port || (u.protocol === 'smtps:' ? 465 : 587)}/`
}
