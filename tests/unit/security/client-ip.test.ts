import { describe, expect, test } from 'bun:test'
import { createClientIp, parseTrustProxy } from '../../../src/security/client-ip.ts'

const ipOf = (trust: string, socket: string | null, xff?: string) =>
  createClientIp(
    parseTrustProxy(trust),
    () => socket,
  )(new Request('http://relay/', { headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }))

describe('client address behind reverse proxies', () => {
  test('without TRUST_PROXY the socket address is the client, whatever the headers say', () => {
    expect(ipOf('false', '203.0.113.9', '127.0.0.1')).toBe('203.0.113.9')
    expect(ipOf('0', '127.0.0.1', '8.8.8.8')).toBe('127.0.0.1')
    expect(ipOf('false', null)).toBe('unknown')
  })

  test('TRUST_PROXY=true (one proxy that appends, like nginx $proxy_add_x_forwarded_for): the rightmost entry', () => {
    // The client sent "X-Forwarded-For: 127.0.0.1"; nginx appended the address it saw.
    expect(ipOf('true', '127.0.0.1', '127.0.0.1, 8.8.8.8')).toBe('8.8.8.8')
    expect(ipOf('true', '127.0.0.1', '1.1.1.1,2.2.2.2, 9.9.9.9')).toBe('9.9.9.9')
    expect(ipOf('true', '127.0.0.1', '8.8.8.8')).toBe('8.8.8.8')
    expect(ipOf('true', '127.0.0.1')).toBe('127.0.0.1')
    expect(ipOf('true', '127.0.0.1', '')).toBe('127.0.0.1')
  })

  test('a hop count: the entry that many proxies from the relay added', () => {
    expect(ipOf('2', '10.0.0.2', 'forged, 8.8.8.8, 10.0.0.1')).toBe('8.8.8.8')
    expect(ipOf('3', '10.0.0.2', 'forged, 8.8.8.8, 10.0.0.1')).toBe('forged')
    // Fewer entries than proxies: the leftmost one (there is nothing further).
    expect(ipOf('5', '10.0.0.2', '8.8.8.8')).toBe('8.8.8.8')
  })

  test('proxy addresses: the first address from the right that is not a proxy', () => {
    const trust = 'loopback, 10.0.0.0/8'
    expect(ipOf(trust, '127.0.0.1', '127.0.0.1, 8.8.8.8')).toBe('8.8.8.8')
    expect(ipOf(trust, '127.0.0.1', '6.6.6.6, 8.8.8.8, 10.1.2.3')).toBe('8.8.8.8')
    expect(ipOf(trust, '::ffff:127.0.0.1', '8.8.8.8')).toBe('8.8.8.8')
    // Every hop a proxy: the leftmost.
    expect(ipOf(trust, '127.0.0.1', '10.0.0.5, 10.0.0.6')).toBe('10.0.0.5')
    // A socket peer that is not a proxy: its header is the client's own.
    expect(ipOf(trust, '203.0.113.9', '127.0.0.1')).toBe('203.0.113.9')
    expect(ipOf('private', '192.168.1.2', '[2001:db8::1]:443, 1.2.3.4:5678')).toBe('1.2.3.4')
  })

  test('without TRUST_PROXY, forwarded requests are reported once (every client shares the proxy address)', () => {
    const warnings: string[] = []
    const ipOf = createClientIp(
      parseTrustProxy('false'),
      () => '127.0.0.1',
      (m) => warnings.push(m),
    )
    ipOf(new Request('http://relay/'))
    expect(warnings).toEqual([])
    for (let i = 0; i < 3; i++)
      ipOf(new Request('http://relay/', { headers: { 'x-forwarded-for': '8.8.8.8' } }))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('TRUST_PROXY')
  })

  test('a bad TRUST_PROXY names the variable', () => {
    expect(() => parseTrustProxy('yes please')).toThrow('TRUST_PROXY')
    expect(() => parseTrustProxy('10.0.0.0/99')).toThrow('TRUST_PROXY')
    expect(() => parseTrustProxy('99')).toThrow('TRUST_PROXY')
    expect(parseTrustProxy('TRUE')).toEqual({ kind: 'hops', hops: 1 })
  })
})
