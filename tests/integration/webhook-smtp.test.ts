/**
 * SMTP webhooks (the seed's mail platform) through the admin API: added with the seed's fields
 * (host, port, user, pass, from, to), the password sealed and never shown, and a test notification
 * delivered by nodemailer to a fake SMTP server (a real TCP listener speaking the protocol).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

interface Received {
  from: string
  to: string[]
  auth: string
  data: string
}

/** A minimal SMTP server: EHLO (AUTH PLAIN/LOGIN offered), MAIL, RCPT, DATA, QUIT. */
function startFakeSmtp() {
  const mails: Received[] = []
  const server = Bun.listen<{ buf: string; mail: Received; inData: boolean; authStep: string }>({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      open(s) {
        s.data = {
          buf: '',
          mail: { from: '', to: [], auth: '', data: '' },
          inData: false,
          authStep: '',
        }
        s.write('220 fake.smtp ESMTP ready\r\n')
      },
      data(s, chunk) {
        s.data.buf += new TextDecoder().decode(chunk)
        let i = s.data.buf.indexOf('\r\n')
        while (i >= 0) {
          const line = s.data.buf.slice(0, i)
          s.data.buf = s.data.buf.slice(i + 2)
          i = s.data.buf.indexOf('\r\n')
          const m = s.data.mail
          if (s.data.inData) {
            if (line === '.') {
              s.data.inData = false
              mails.push({ ...m })
              s.write('250 OK queued\r\n')
            } else m.data += `${line}\n`
            continue
          }
          if (s.data.authStep === 'user') {
            m.auth = Buffer.from(line, 'base64').toString()
            s.data.authStep = 'pass'
            s.write('334 UGFzc3dvcmQ6\r\n')
            continue
          }
          if (s.data.authStep === 'pass') {
            m.auth += `:${Buffer.from(line, 'base64').toString()}`
            s.data.authStep = ''
            s.write('235 Authentication successful\r\n')
            continue
          }
          const cmd = line.slice(0, 4).toUpperCase()
          if (cmd === 'EHLO') s.write('250-fake.smtp\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n')
          else if (cmd === 'HELO') s.write('250 fake.smtp\r\n')
          else if (line.toUpperCase().startsWith('AUTH PLAIN')) {
            const parts = Buffer.from(line.slice(11), 'base64').toString().split('\u0000')
            m.auth = `${parts[1]}:${parts[2]}`
            s.write('235 Authentication successful\r\n')
          } else if (line.toUpperCase().startsWith('AUTH LOGIN')) {
            s.data.authStep = 'user'
            s.write('334 VXNlcm5hbWU6\r\n')
          } else if (cmd === 'MAIL') {
            m.from = /<([^>]*)>/.exec(line)?.[1] ?? ''
            m.to = []
            m.data = ''
            s.write('250 OK\r\n')
          } else if (cmd === 'RCPT') {
            m.to.push(/<([^>]*)>/.exec(line)?.[1] ?? '')
            s.write('250 OK\r\n')
          } else if (cmd === 'DATA') {
            s.data.inData = true
            s.write('354 End data with <CR><LF>.<CR><LF>\r\n')
          } else if (cmd === 'QUIT') {
            s.write('221 Bye\r\n')
            s.end()
          } else if (cmd === 'RSET' || cmd === 'NOOP') s.write('250 OK\r\n')
          else s.write('502 Command not implemented\r\n')
        }
      },
    },
  })
  return { port: server.port, mails, stop: () => server.stop(true) }
}

let up: FakeUpstream
let r: TestRelay
let smtp: ReturnType<typeof startFakeSmtp>
const PASS = 'mail-password-123456'

beforeAll(async () => {
  smtp = startFakeSmtp()
  up = startFakeUpstream()
  r = await startRelay({ upstream: up })
})
afterAll(async () => {
  await r.stop()
  up.stop()
  smtp.stop()
})

describe('SMTP webhooks', () => {
  test('added with the seed fields, password sealed, a test mail delivered', async () => {
    const added = await r.admin('POST', '/admin/webhook/platforms', {
      type: 'smtp',
      name: 'ops mail',
      host: '127.0.0.1',
      port: smtp.port,
      secure: false,
      user: 'relay@example.com',
      pass: PASS,
      from: 'relay@example.com',
      to: ['ops@example.com', 'oncall@example.com'],
    })
    expect(added.status).toBe(200)
    const cfg = await r.admin('GET', '/admin/webhook/config')
    expect(JSON.stringify(cfg.json)).not.toContain(PASS)
    expect(JSON.stringify(await r.relay.stores.settings.get('webhooks'))).not.toContain(PASS)
    const id = cfg.json.data.platforms[0].id
    const sent = await r.admin('POST', '/admin/webhook/test', { platformId: id })
    expect(sent.json.data).toMatchObject({ delivered: true })
    expect(smtp.mails).toHaveLength(1)
    const mail = smtp.mails[0]!
    expect(mail.from).toBe('relay@example.com')
    expect(mail.to).toEqual(['ops@example.com', 'oncall@example.com'])
    expect(mail.auth).toBe(`relay@example.com:${PASS}`)
    expect(mail.data).toContain('Test notification')

    const bad = await r.admin('POST', '/admin/webhook/platforms', {
      type: 'smtp',
      host: '127.0.0.1',
      from: 'not-an-address',
      to: 'ops@example.com',
    })
    expect(bad.status).toBe(400)
  })
})
