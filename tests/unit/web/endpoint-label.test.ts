/** The history UI names each kind of call by its path, on every platform's routes. */
import { expect, test } from 'bun:test'

// The UI's i18n reads the saved language at load: a browser's storage saying English. The module is
// loaded by a computed path, so the server's typecheck (no DOM types) does not follow it.
Object.assign(globalThis, { localStorage: { getItem: () => 'en', setItem: () => {} } })
const VIEW = '../../../web-components/lib/history-view.ts'
const { endpointOf } = (await import(VIEW)) as {
  endpointOf: (path: string) => { kind: string; platform: string }
}

test('each route reads as its kind of call and its client API', () => {
  const cases: [string, string, string][] = [
    ['/api/v1/messages', 'hist.endpoint.messages', 'Claude'],
    ['/api/v1/messages/count_tokens', 'hist.endpoint.countTokens', 'Claude'],
    ['/openai/v1/chat/completions', 'hist.endpoint.chat', 'OpenAI'],
    ['/openai/v1/responses', 'hist.endpoint.responses', 'OpenAI'],
    ['/azure/embeddings', 'hist.endpoint.embeddings', 'Azure OpenAI'],
    [
      '/azure/openai/deployments/{deployment}/embeddings',
      'hist.endpoint.embeddings',
      'Azure OpenAI',
    ],
    ['/gemini/v1beta/models/gemini-2.5-flash:generateContent', 'hist.endpoint.generate', 'Gemini'],
    ['/gemini/v1internal:streamGenerateContent', 'hist.endpoint.generate', 'Gemini'],
    ['/gemini/v1beta/models/gemini-2.5-flash:countTokens', 'hist.endpoint.countTokens', 'Gemini'],
    ['/gemini/v1beta/models/text-embedding-004:embedContent', 'hist.endpoint.embeddings', 'Gemini'],
    [
      '/gemini/v1/models/text-embedding-004:batchEmbedContents',
      'hist.endpoint.embeddings',
      'Gemini',
    ],
    ['/v1/completions', 'hist.endpoint.completions', 'Claude'],
  ]
  for (const [path, kind, platform] of cases)
    expect([path, endpointOf(path)]).toEqual([path, { kind, platform }])
})
