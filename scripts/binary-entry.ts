/**
 * Entry of the single binary: `claude-relay-service` serves the relay (web UI embedded);
 * `claude-relay-service import-crs --from redis://…` runs the importer, and
 * `claude-relay-service copy-store --to …` copies its storage into another store.
 */
import { files } from '../dist/binary/embedded-web.ts'

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json',
  svg: 'image/svg+xml',
  png: 'image/png',
}

if (process.argv[2] === 'import-crs') {
  process.argv.splice(2, 1)
  await import('./import-crs.ts')
} else if (process.argv[2] === 'copy-store') {
  process.argv.splice(2, 1)
  await import('./copy-store.ts')
} else {
  const { main } = await import('../src/main.ts')
  await main(async (path) => {
    const embedded = files[path]
    if (!embedded) return null
    return {
      body: Bun.file(embedded),
      type: TYPES[path.split('.').pop() ?? ''] ?? 'application/octet-stream',
    }
  })
}
