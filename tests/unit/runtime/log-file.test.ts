import { describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from '../../../src/core/log.ts'
import { rotatingFileSink } from '../../../src/runtime/log-file.ts'

describe('rotatingFileSink', () => {
  test('rotates at the size limit, keeps at most maxFiles old files and never splits a line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crs-logs-'))
    const sink = rotatingFileSink({ dir, maxBytes: 1024, maxFiles: 3 })
    const log = createLogger({ level: 'info', sink })
    for (let i = 0; i < 200; i++)
      log.info('request', { requestId: `req_${i}`, keyId: 'k1', pad: 'x'.repeat(50) })
    sink.close()
    const files = readdirSync(dir).sort()
    expect(files).toEqual(['relay.log', 'relay.log.1', 'relay.log.2', 'relay.log.3'])
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8')
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1024)
      for (const line of text.trim().split('\n')) expect(JSON.parse(line).msg).toBe('request')
    }
    // The newest lines are in relay.log, older ones in .1, .2, .3; the oldest are gone.
    const last = readFileSync(join(dir, 'relay.log'), 'utf8').trim().split('\n').at(-1)!
    expect(JSON.parse(last).requestId).toBe('req_199')
    expect(readFileSync(join(dir, 'relay.log.3'), 'utf8')).not.toContain('"req_0"')
    expect(existsSync(join(dir, 'relay.log.4'))).toBe(false)
  })

  test('appends to an existing file after a restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crs-logs-'))
    const a = rotatingFileSink({ dir, maxBytes: 10_000, maxFiles: 2 })
    a.write('{"n":1}')
    a.close()
    const b = rotatingFileSink({ dir, maxBytes: 10_000, maxFiles: 2 })
    b.write('{"n":2}')
    b.close()
    expect(readFileSync(join(dir, 'relay.log'), 'utf8')).toBe('{"n":1}\n{"n":2}\n')
  })
})
