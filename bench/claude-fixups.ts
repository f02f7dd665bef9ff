/**
 * `bun bench/claude-fixups.ts`: what the OAuth request fix-ups cost on the hot path. A
 * Claude-Code-sized ask (system blocks, 40 tools, 100 turns, 4 cache markers, ~150 KB) is checked
 * by `fixupsNeeded` (nothing fires: the usual request, no copy, no re-encoding) and by
 * `applyFixups` with every rule firing (copy + the JSON encoding the adapter then does).
 */
import { applyFixups, fixupsNeeded } from '../src/platforms/claude/fixups.ts'

const text = (n: number) => 'x'.repeat(n)
const body: Record<string, unknown> = {
  model: 'claude-sonnet-4-5',
  max_tokens: 32_000,
  system: [
    { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude." },
    { type: 'text', text: text(12_000), cache_control: { type: 'ephemeral' } },
  ],
  tools: Array.from({ length: 40 }, (_, i) => ({
    name: `tool_${i}`,
    description: text(600),
    input_schema: { type: 'object', properties: { a: { type: 'string' } } },
    ...(i === 39 ? { cache_control: { type: 'ephemeral' } } : {}),
  })),
  messages: Array.from({ length: 100 }, (_, i) => ({
    role: i % 2 ? 'assistant' : 'user',
    content: [
      {
        type: 'text',
        text: text(1000),
        ...(i >= 98 ? { cache_control: { type: 'ephemeral' } } : {}),
      },
    ],
  })),
}
const firing = { ...body, max_tokens: 200_000, temperature: 0.5, top_p: 0.9 }
const ctx = { model: 'claude-sonnet-4-5', maxOutputTokens: 64_000, keepCacheTtl: false }
console.log(`body ${(JSON.stringify(body).length / 1024).toFixed(0)} KB`)

function time(name: string, n: number, fn: () => unknown) {
  for (let i = 0; i < 200; i++) fn()
  const t0 = performance.now()
  for (let i = 0; i < n; i++) fn()
  console.log(`${name}: ${(((performance.now() - t0) / n) * 1000).toFixed(2)} µs`)
}
time('fixupsNeeded, no rule fires', 20_000, () => fixupsNeeded(body, ctx))
time('applyFixups, every rule fires, + JSON.stringify', 2_000, () =>
  JSON.stringify(applyFixups(firing, ctx)!.body),
)
time('JSON.stringify alone (what any body change costs)', 2_000, () => JSON.stringify(body))
