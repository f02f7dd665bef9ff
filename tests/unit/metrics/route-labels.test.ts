/**
 * The metrics' route label: a model a client names in the path is a placeholder, and however
 * many distinct paths clients send, the route labels stay bounded.
 */
import { expect, test } from 'bun:test'
import type { AccountService } from '../../../src/accounts/service.ts'
import { createMetrics } from '../../../src/metrics/service.ts'
import { makeKey, makeOutcome } from '../../helpers/fixtures.ts'

const metrics = () =>
  createMetrics({
    accounts: { snapshot: async () => [] } as unknown as AccountService,
    ping: async () => 1,
    version: 'test',
    startedAt: 0,
    now: () => 1000,
  })

const routesIn = (text: string) =>
  new Set(
    text
      .split('\n')
      .filter((l) => l.startsWith('crs_requests_total{'))
      .map((l) => /route="([^"]*)"/.exec(l)![1]),
  )

const key = makeKey()

test('a Gemini model in the path is recorded as {model}', async () => {
  const m = metrics()
  for (const model of ['gemini-2.5-flash', 'gemini-2.5-pro', 'made-up-name'])
    m.recorder.record(
      makeOutcome({
        key,
        startTime: 0,
        endpoint: `/gemini/v1beta/models/${model}:generateContent`,
      }),
    )
  m.recorder.record(makeOutcome({ key, startTime: 0, endpoint: '/api/v1/messages' }))
  expect(routesIn(await m.render())).toEqual(
    new Set(['/gemini/v1beta/models/{model}:generateContent', '/api/v1/messages']),
  )
})

test('past 200 distinct routes, the rest are counted as other', async () => {
  const m = metrics()
  for (let i = 0; i < 500; i++)
    m.recorder.record(makeOutcome({ key, startTime: 0, endpoint: `/droid/x${i}` }))
  const routes = routesIn(await m.render())
  expect(routes.size).toBe(201)
  expect(routes.has('other')).toBe(true)
  expect(routes.has('/droid/x0')).toBe(true)
  expect(routes.has('/droid/x300')).toBe(false)
})
