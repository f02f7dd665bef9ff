/**
 * A key's model allow and deny lists match the model name as pricing normalises it: a date, a
 * `-latest`, vendor prefixes (`anthropic/`, `us.anthropic.`), Bedrock suffixes (`-v1:0`), upper case
 * and `provider,` do not get a denied model through, nor keep an allowed one out.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { canonicalModel, keyAllowsModel } from '../../src/keys/model-rules.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { messagesRequest } from '../helpers/messages.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const SPELLINGS = [
  'claude-opus-4-1-20250805',
  'claude-opus-4-1',
  'claude-opus-4-1-latest',
  'CLAUDE-OPUS-4-1-20250805',
  'anthropic/claude-opus-4-1-20250805',
  'us.anthropic.claude-opus-4-1-20250805-v1:0',
  'anthropic.claude-opus-4-1-20250805-v1:0',
  'claude-opus-4-1@20250805',
  'openrouter,claude-opus-4-1',
  ' claude-opus-4-1 ',
]

describe('model allow and deny lists', () => {
  let up: FakeUpstream
  let r: TestRelay
  beforeAll(async () => {
    up = startFakeUpstream()
    r = await startRelay({ upstream: up })
    await r.createConsoleAccount('model-rules-acct')
  })
  afterAll(async () => {
    await r.stop()
    up.stop()
  })

  const send = (key: string, model: string) => r.handle(messagesRequest(key, { model }))

  test('denying claude-opus-4-1-20250805 denies every spelling of it, and nothing else', async () => {
    const { key } = await r.createKey({
      enableModelRestriction: true,
      modelRestrictionMode: 'deny',
      restrictedModels: ['claude-opus-4-1-20250805'],
    })
    for (const model of SPELLINGS) {
      const res = await send(key, model)
      expect({ model, status: res.status }).toEqual({ model, status: 403 })
      expect(((await res.json()) as any).error.type).toBe('permission_error')
    }
    for (const model of ['claude-opus-4-5', 'claude-sonnet-4-5-20250929', 'claude-opus-4']) {
      const res = await send(key, model)
      expect({ model, status: res.status }).toEqual({ model, status: 200 })
      await res.text()
    }
  })

  test('allowing claude-opus-4-1 allows every spelling of it and keeps other models out', async () => {
    const { key } = await r.createKey({
      enableModelRestriction: true,
      modelRestrictionMode: 'allow',
      restrictedModels: ['Claude-Opus-4-1'],
    })
    for (const model of SPELLINGS) {
      const res = await send(key, model)
      expect({ model, status: res.status }).toEqual({ model, status: 200 })
      await res.text()
    }
    const other = await send(key, 'claude-sonnet-4-5')
    expect(other.status).toBe(403)
  })

  test('the model lists (Anthropic and OpenAI shapes) apply the same rule', async () => {
    const { key } = await r.createKey({
      enableModelRestriction: true,
      modelRestrictionMode: 'deny',
      restrictedModels: ['us.anthropic.claude-opus-4-1-20250805-v1:0'],
    })
    const ids = async (path: string) =>
      (
        (await (
          await r.handle(new Request(`http://localhost${path}`, { headers: { 'x-api-key': key } }))
        ).json()) as any
      ).data.map((m: { id: string }) => m.id) as string[]
    for (const path of ['/api/v1/models', '/openai/v1/models']) {
      const list = await ids(path)
      expect(list.length).toBeGreaterThan(0)
      expect(list.filter((id) => canonicalModel(id) === 'claude-opus-4-1')).toEqual([])
    }
  })

  test('canonical names are the ones pricing reads', () => {
    for (const model of SPELLINGS)
      expect({ model, c: canonicalModel(model) }).toEqual({ model, c: 'claude-opus-4-1' })
    expect(canonicalModel('claude-opus-4-0')).toBe(canonicalModel('claude-opus-4'))
    const rules = {
      enableModelRestriction: true,
      modelRestrictionMode: 'deny' as const,
      restrictedModels: ['claude-opus-4-1'],
    }
    expect(keyAllowsModel(rules, 'claude-opus-4-1-20250805')).toBe(false)
    expect(keyAllowsModel({ ...rules, enableModelRestriction: false }, 'claude-opus-4-1')).toBe(
      true,
    )
  })
})
