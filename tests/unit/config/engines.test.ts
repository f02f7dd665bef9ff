/**
 * The Node.js version the README and package.json promise is one every installed package accepts,
 * so `npm install` on it prints no EBADENGINE warning (the lockfile records each package's engines).
 */
import { expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dir, '../../..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'))

test('every locked package accepts the oldest Node.js that package.json and the README name', () => {
  const range: string = pkg.engines.node
  const min = /^>=\s*(\d+)$/.exec(range)?.[1]
  expect(min).toBeDefined()
  const oldest = `${min}.0.0`
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  expect(readme).toContain(`Node.js (≥ ${min})`)
  // An optional package whose engines do not match is skipped by npm without a warning (Claude
  // Code's optional image helpers want Node ≥ 20.3; it runs without them).
  const refused = Object.entries(
    lock.packages as Record<string, { engines?: { node?: string }; optional?: boolean }>,
  )
    .filter(
      ([name, p]) =>
        name && !p.optional && p.engines?.node && !Bun.semver.satisfies(oldest, p.engines.node),
    )
    .map(([name, p]) => `${name} needs node ${p.engines?.node}`)
  expect(refused).toEqual([])
})
