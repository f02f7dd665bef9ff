/**
 * What the Gemini integration tests share: a listening relay with the fake Anthropic upstream and
 * the fake Google (its token endpoint as the relay's Google token URL), the two Gemini account
 * kinds created against that fake, and the per-test reset of account health.
 */
import { type FakeGemini, startFakeGemini } from '../fakes/fake-gemini.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay, type TestRelayOptions } from './relay.ts'

/** A running relay with both fakes. */
export interface GeminiRig {
  up: FakeUpstream
  g: FakeGemini
  r: TestRelay
  stop(): Promise<void>
}

/** Starts the fakes and a listening relay whose Google token endpoint is the fake's. */
export async function startGeminiRig(
  options: Omit<TestRelayOptions, 'upstream'> = {},
): Promise<GeminiRig> {
  const up = startFakeUpstream()
  const g = startFakeGemini()
  const r = await startRelay({
    listen: true,
    ...options,
    upstream: up,
    env: { GEMINI_OAUTH_TOKEN_URL: g.tokenUrl, ...options.env },
  })
  return {
    up,
    g,
    r,
    async stop() {
      await r.stop()
      g.stop()
      up.stop()
    },
  }
}

/** Creates a Gemini API account on the fake (its key `AIza-<name>-…`); returns its id. */
export async function createGeminiApiAccount(
  r: TestRelay,
  g: FakeGemini,
  name: string,
  input: Record<string, unknown> = {},
): Promise<string> {
  const res = await r.admin('POST', '/admin/gemini-api-accounts', {
    name,
    baseUrl: g.url,
    apiKey: `AIza-${name}-0123456789abcdefghij`,
    ...input,
  })
  if (res.status !== 200) throw new Error(JSON.stringify(res.json))
  return res.json.data.id as string
}

/** Clears the fake's record and the health of `accountIds` (before each test). */
export async function resetGemini(rig: GeminiRig, accountIds: string[]): Promise<void> {
  rig.g.reset()
  for (const id of accountIds) await rig.r.relay.services.accounts.resetState(id)
}
