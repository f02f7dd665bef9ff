/**
 * One relay with the fake OpenAI family for a test file: started before its tests (the Anthropic
 * fake beside it), stopped after them, and between tests the fake's log and scripts and the
 * recorded outcomes cleared once the previous test's requests are recorded.
 */
import { afterAll, beforeAll, beforeEach } from 'bun:test'
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/fake-openai.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay, type TestRelayOptions } from './relay.ts'

/** The running suite (filled in before the first test). */
export interface OpenAISuite {
  up: FakeUpstream
  oa: FakeOpenAI
  r: TestRelay
}

/** Options of {@link openaiSuite}. */
export interface OpenAISuiteOptions {
  /** Environment of the relay, given the fake (e.g. its ChatGPT backend URL). */
  env?: (oa: FakeOpenAI) => Record<string, string>
  clock?: TestRelayOptions['clock']
  /** Runs once the relay is up (accounts, keys). */
  setup?: (suite: OpenAISuite) => Promise<void>
  /** Runs before each test, after the fake and the outcomes are cleared. */
  beforeEach?: (suite: OpenAISuite) => Promise<void>
}

/** The ChatGPT backend and OAuth token endpoint of the fake, as relay environment. */
export const chatgptEnv = (oa: FakeOpenAI) => ({
  OPENAI_CHATGPT_BASE_URL: oa.url,
  OPENAI_OAUTH_TOKEN_URL: `${oa.url}/oauth/token`,
})

/** Registers the suite's hooks in the calling test file. */
export function openaiSuite(options: OpenAISuiteOptions = {}): OpenAISuite {
  const suite = {} as OpenAISuite
  beforeAll(async () => {
    suite.up = startFakeUpstream()
    suite.oa = startFakeOpenAI()
    suite.r = await startRelay({
      upstream: suite.up,
      listen: true,
      clock: options.clock,
      env: options.env?.(suite.oa),
    })
    await options.setup?.(suite)
  })
  afterAll(async () => {
    await suite.r?.stop()
    suite.oa?.stop()
    suite.up?.stop()
  })
  beforeEach(async () => {
    await suite.r.settle()
    suite.oa.reset()
    suite.r.outcomes.length = 0
    await options.beforeEach?.(suite)
  })
  return suite
}
