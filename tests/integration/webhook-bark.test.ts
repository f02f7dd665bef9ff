/**
 * Bark webhooks (the seed's iOS push platform) through the admin API: added with the seed's
 * `deviceKey` and `serverUrl`, the key kept sealed and masked, a test push and an account event
 * delivered as Bark's JSON push to `<server>/<deviceKey>`; the seed's `sound` and `level` (and
 * Bark's `group` and `icon`) kept in the configuration and sent with every push.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { postMessages } from '../helpers/messages.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay
let bark: ReturnType<typeof Bun.serve>
const pushes: { path: string; body: any }[] = []
const DEVICE = 'barkDeviceKey0123456789'

beforeAll(async () => {
  bark = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      pushes.push({ path: new URL(req.url).pathname, body: await req.json() })
      return Response.json({ code: 200, message: 'success' })
    },
  })
  up = startFakeUpstream()
  r = await startRelay({ upstream: up, listen: true })
})
afterAll(async () => {
  await r.stop()
  up.stop()
  bark.stop(true)
})

describe('Bark webhooks', () => {
  test('added with deviceKey + serverUrl, tested, and sent account events', async () => {
    const added = await r.admin('POST', '/admin/webhook/platforms', {
      type: 'bark',
      name: 'phone',
      deviceKey: DEVICE,
      serverUrl: `http://127.0.0.1:${bark.port}/`,
    })
    expect(added.status).toBe(200)
    const view = (await r.admin('GET', '/admin/webhook/config')).json.data.platforms[0]
    expect(view.type).toBe('bark')
    expect(JSON.stringify(view)).not.toContain(DEVICE)
    const tested = await r.admin('POST', '/admin/webhook/test', { platformId: view.id })
    expect(tested.json.data).toMatchObject({ delivered: true, status: 200 })
    expect(pushes.at(-1)!.path).toBe(`/${DEVICE}`)
    expect(pushes.at(-1)!.body).toMatchObject({ group: 'claude-relay' })
    expect(pushes.at(-1)!.body.title).toContain('Test notification')

    // An account event: a 401 marks an account unauthorized.
    await r.createConsoleAccount('bark-acct')
    up.script('bark-acct', { kind: 'error', status: 401 })
    const key = (await r.createKey()).key
    const res = await postMessages(r.url, key)
    await res.text()
    const t0 = Date.now()
    while (!pushes.some((p) => p.body.title.includes('unauthorized')) && Date.now() - t0 < 10_000)
      await Bun.sleep(20)
    const push = pushes.find((p) => p.body.title.includes('unauthorized'))!
    expect(push.body.level).toBe('timeSensitive')
    expect(push.body.body).toContain('bark-acct')
    const bad = await r.admin('POST', '/admin/webhook/platforms', {
      type: 'bark',
      deviceKey: 'bad key/../x',
    })
    expect(bad.status).toBe(400)
  })

  test('sound, level, group and icon are kept, shown, sent, edited and checked', async () => {
    const added = await r.admin('POST', '/admin/webhook/platforms', {
      type: 'bark',
      name: 'loud phone',
      deviceKey: 'soundDevice01',
      serverUrl: `http://127.0.0.1:${bark.port}`,
      sound: 'minuet',
      level: 'critical',
      group: 'relay-ops',
      icon: 'https://example.com/icon.png',
    })
    expect(added.status).toBe(200)
    expect(added.json.data).toMatchObject({
      sound: 'minuet',
      level: 'critical',
      group: 'relay-ops',
      icon: 'https://example.com/icon.png',
    })
    const id = added.json.data.id
    const shown = (await r.admin('GET', '/admin/webhook/config')).json.data.platforms
    expect(shown.find((p: any) => p.id === id)).toMatchObject({ sound: 'minuet' })

    const tested = await r.admin('POST', '/admin/webhook/test', { platformId: id })
    expect(tested.json.data.delivered).toBe(true)
    expect(pushes.at(-1)!.path).toBe('/soundDevice01')
    expect(pushes.at(-1)!.body).toMatchObject({
      sound: 'minuet',
      level: 'critical',
      group: 'relay-ops',
      icon: 'https://example.com/icon.png',
    })

    // An edit that leaves them out keeps them; null clears one.
    const edited = await r.admin('PUT', `/admin/webhook/platforms/${id}`, {
      name: 'quiet phone',
      sound: null,
    })
    expect(edited.status).toBe(200)
    expect(edited.json.data.sound).toBeUndefined()
    expect(edited.json.data).toMatchObject({ level: 'critical', group: 'relay-ops' })
    await r.admin('POST', '/admin/webhook/test', { platformId: id })
    expect(pushes.at(-1)!.body.sound).toBeUndefined()
    expect(pushes.at(-1)!.body.level).toBe('critical')

    for (const [field, value] of [
      ['level', 'loud'],
      ['sound', 'a b/../c'],
      ['icon', 'ftp://example.com/i.png'],
    ] as [string, string][]) {
      const bad = await r.admin('POST', '/admin/webhook/platforms', {
        type: 'bark',
        deviceKey: 'soundDevice02',
        serverUrl: `http://127.0.0.1:${bark.port}`,
        [field]: value,
      })
      expect(bad.status).toBe(400)
      expect(bad.json.error.message).toContain(`${field}:`)
    }
    const notBark = await r.admin('POST', '/admin/webhook/platforms', {
      type: 'custom',
      url: `http://127.0.0.1:${bark.port}/x`,
      sound: 'minuet',
    })
    expect(notBark.status).toBe(400)
    expect(notBark.json.error.message).toContain('sound: only used by bark')
  })
})
