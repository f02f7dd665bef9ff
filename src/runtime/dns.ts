/**
 * @module
 * The host resolver of the outbound URL policy: `node:dns` promises lookup (getaddrinfo, so it
 * sees /etc/hosts like fetch does), every address of both families. Works on Bun and Deno.
 */
import { lookup } from 'node:dns/promises'
import type { HostResolver } from '../security/url-policy.ts'

/** Resolves a hostname to all of its addresses. */
export const dnsResolver: HostResolver = async (hostname) => {
  const all = await lookup(hostname, { all: true, verbatim: true })
  return all.map((a) => a.address)
}
