/**
 * Droid request shaping: the Droid system prompt goes first and the client's own system text
 * stays (the seed replaced a string one), metadata goes, and the seed's endpoint-type rule.
 */
import { describe, expect, test } from 'bun:test'
import {
  commProvider,
  DROID_SYSTEM,
  droidBody,
  endpointServes,
} from '../../../src/platforms/droid/adapter.ts'

describe('droid body', () => {
  test('anthropic: Droid block first, the client system kept, metadata and top_p dropped', () => {
    const out = droidBody(
      { model: 'x', system: 'Mine', metadata: { user_id: 'u' }, temperature: 0.5, top_p: 0.9 },
      'anthropic',
      'claude-sonnet-4-5',
    )
    expect(out.system).toEqual([
      { type: 'text', text: DROID_SYSTEM },
      { type: 'text', text: 'Mine' },
    ])
    expect(out).not.toHaveProperty('metadata')
    expect(out).not.toHaveProperty('top_p')
    expect(out.model).toBe('claude-sonnet-4-5')
    // Already there: not added twice.
    const again = droidBody({ system: out.system }, 'anthropic', 'm')
    expect((again.system as unknown[]).length).toBe(2)
  })
  test('openai: instructions prefixed; comm: a system message first', () => {
    expect(droidBody({ instructions: 'Brief.' }, 'openai', 'gpt-5').instructions).toBe(
      `${DROID_SYSTEM}\n\nBrief.`,
    )
    const comm = droidBody({ messages: [{ role: 'user', content: 'hi' }] }, 'comm', 'glm-4.6')
    expect((comm.messages as { role: string }[]).map((m) => m.role)).toEqual(['system', 'user'])
  })
  test('endpoint types and comm providers as the seed', () => {
    expect(endpointServes('anthropic', 'openai')).toBe(true)
    expect(endpointServes('openai', 'anthropic')).toBe(true)
    expect(endpointServes('comm', 'anthropic')).toBe(false)
    expect(endpointServes('comm', 'comm')).toBe(true)
    expect(endpointServes('anthropic', 'comm')).toBe(true)
    expect(['gemini-2.5-pro', 'claude-x', 'gpt-5', 'glm-4.6', 'kimi'].map(commProvider)).toEqual([
      'google',
      'anthropic',
      'azure_openai',
      'fireworks',
      'baseten',
    ])
  })
})
