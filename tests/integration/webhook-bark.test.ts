/**
 * Bark webhooks (the seed's iOS push platform) through the admin API: added with the seed's
 * `deviceKey` and `serverUrl`, the key kept sealed and masked, a test push and an account event
 * delivered as Bark's JSON push to `<server>/<deviceKey>`.
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
})
