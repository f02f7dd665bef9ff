/**
 * Reasoning tokens of OpenAI answers: the Responses `output_tokens_details.reasoning_tokens` and
 * the Chat Completions `completion_tokens_details.reasoning_tokens`, streamed and not, are kept in
 * the history record (and its admin view) apart from the output they are part of; the cost is
 * the same as without them (they are billed once, as output).
 */
import { describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import type { RequestOutcome } from '../../src/relay/recorder.ts'
import type { FakeOpenAI } from '../fakes/fake-openai.ts'
import { openaiSuite } from '../helpers/openai-suite.ts'
import type { TestRelay } from '../helpers/relay.ts'

let oa: FakeOpenAI
let r: TestRelay
let key = ''

const openai = (path: string) =>
  new OpenAI({ baseURL: `${r.url}${path}`, apiKey: key, maxRetries: 0 })

/** The stored record of an outcome, and its admin view. */
async function recordOf(o: RequestOutcome) {
  await r.relay.services.history.flush()
  const rec = await r.relay.services.history.get(o.requestId)
  const view = await r.admin('GET', `/admin/request-history/${o.requestId}`)
  expect(view.status).toBe(200)
  return { rec: rec!, view: view.json.data }
}

openaiSuite({
  setup: async (s) => {
    ;({ r, oa } = s)
    const responses = await r.admin('POST', '/admin/openai-responses-accounts', {
      name: 'reasoning-responses',
      baseApi: `${oa.url}/v1`,
      apiKey: 'sk-reasoning',
    })
    expect(responses.status).toBe(200)
    const azure = await r.admin('POST', '/admin/azure-openai-accounts', {
      name: 'reasoning-azure',
      azureEndpoint: oa.url,
      deploymentName: 'reasoning-dep',
      apiKey: 'azure-reasoning',
    })
    expect(azure.status).toBe(200)
    key = (await r.createKey({ permissions: 'openai' })).key
  },
})

describe('reasoning tokens are kept in history, never billed apart', () => {
  test('Responses, not streamed and streamed: 10 of the 30 output tokens, same cost', async () => {
    await openai('/openai/v1').responses.create({ model: 'gpt-5', input: 'think' })
    const events = await openai('/openai/v1').responses.create({
      model: 'gpt-5',
      input: 'think',
      stream: true,
    })
    for await (const _ of events) {
      // drain
    }
    const outs = await r.waitOutcomes(2)
    expect(outs.map((o) => o.stream)).toEqual([false, true])
    for (const o of outs) {
      expect(o.usage).toMatchObject({ inputTokens: 100, cacheReadTokens: 20, outputTokens: 30 })
      // gpt-5: 100 × 1250 + 20 × 125 + 30 × 10000 nano-dollars; reasoning adds nothing.
      expect(o.costNanos).toBe(100 * 1250 + 20 * 125 + 30 * 10_000)
      const { rec, view } = await recordOf(o)
      expect(rec).toMatchObject({ outputTokens: 30, reasoningTokens: 10, costNanos: o.costNanos })
      expect(view).toMatchObject({ reasoningTokens: 10, outputTokens: 30, totalTokens: 150 })
    }
  })

  test('Chat Completions (Azure), not streamed and streamed: 3 of the 7 completion tokens', async () => {
    const chat = openai('/azure')
    await chat.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'think' }],
    })
    const stream = await chat.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'think' }],
      stream: true,
    })
    for await (const _ of stream) {
      // drain
    }
    const outs = await r.waitOutcomes(2)
    for (const o of outs) {
      expect(o.usage).toMatchObject({ inputTokens: 40, cacheReadTokens: 10, outputTokens: 7 })
      expect(o.costNanos).toBe(40 * 2500 + 10 * 1250 + 7 * 10_000)
      const { rec } = await recordOf(o)
      expect(rec).toMatchObject({ outputTokens: 7, reasoningTokens: 3 })
    }
  })

  test('an answer whose text mentions "reasoning_tokens" is read from its usage, not its text', async () => {
    oa.script('sk-reasoning', {
      kind: 'ok',
      text: 'The field is {"reasoning_tokens": 999} in usage',
    })
    const d = await openai('/openai/v1').responses.create({ model: 'gpt-5', input: 'explain' })
    expect(d.output_text).toContain('"reasoning_tokens": 999')
    const [o] = await r.waitOutcomes(1)
    const { rec } = await recordOf(o!)
    expect(rec.reasoningTokens).toBe(10)
  })

  test('kept from the usage the relay read, so also when history keeps no bodies', async () => {
    const off = await r.admin('PUT', '/admin/request-history/config', { captureBodies: false })
    expect(off.status).toBe(200)
    try {
      await openai('/openai/v1').responses.create({ model: 'gpt-5', input: 'think' })
      const [o] = await r.waitOutcomes(1)
      expect(o!.usage?.reasoningTokens).toBe(10)
      const { rec } = await recordOf(o!)
      expect(rec.responseBody).toBe('')
      expect(rec.reasoningTokens).toBe(10)
    } finally {
      await r.admin('PUT', '/admin/request-history/config', { captureBodies: true })
    }
  })

  test('an answer without reasoning tokens has no reasoning field', async () => {
    const c = await openai('/azure').embeddings.create({
      model: 'text-embedding-3-small',
      input: 'x',
    })
    expect(c.data).toHaveLength(1)
    const [o] = await r.waitOutcomes(1)
    expect(o!.usage).toMatchObject({ inputTokens: 8 })
    const { rec, view } = await recordOf(o!)
    expect(rec.reasoningTokens).toBeUndefined()
    expect(view.reasoningTokens).toBeUndefined()
  })
})
