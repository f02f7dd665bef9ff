/**
 * @module
 * The Code Assist API (`v1internal`) behind Google-login accounts: requests of the Generative
 * Language shape wrapped as `{model, project, user_prompt_id, request}`, answers unwrapped from
 * `{response}` (whole, or event by event in a stream), and the account's project found once with
 * `loadCodeAssist` (then `onboardUser` for an account that has none yet) and kept on the account.
 */
import type { AccountService, PoolEntry } from '../../accounts/service.ts'
import type { FetchFn } from '../../core/ports.ts'
import { unwrapResponse } from '../../dialects/gemini/usage.ts'
import { SseDataReader } from '../../dialects/sse-lines.ts'

const encoder = new TextEncoder()
const METADATA = {
  ideType: 'IDE_UNSPECIFIED',
  platform: 'PLATFORM_UNSPECIFIED',
  pluginType: 'GEMINI',
}

/** The project an account's requests are sent with, when known. */
export function knownProject(entry: PoolEntry): string {
  const o = entry.account.options
  return String(o.projectId || o.discoveredProjectId || '')
}

/** The Code Assist body of a standard request. */
export function wrapRequest(
  body: Record<string, unknown>,
  p: { model: string; project: string; countTokens: boolean },
): Record<string, unknown> {
  if (p.countTokens)
    return { request: { model: `models/${p.model}`, contents: body.contents ?? [] } }
  return {
    model: p.model,
    project: p.project,
    user_prompt_id: crypto.randomUUID(),
    request: body,
  }
}

/** A Code Assist answer as the Generative Language API gives it (errors passed on as they are). */
export function unwrapAnswer(res: Response): Response {
  if (res.status >= 400 || !res.body) return res
  const headers = new Headers(res.headers)
  headers.delete('content-length')
  const isSse = (res.headers.get('content-type') ?? '').includes('text/event-stream')
  if (isSse) {
    let reader: SseDataReader
    const stream = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        start(controller) {
          reader = new SseDataReader((payload) => {
            let out = payload
            try {
              out = JSON.stringify(unwrapResponse(JSON.parse(payload)))
            } catch {
              // passed on as it came
            }
            controller.enqueue(encoder.encode(`data: ${out}\r\n\r\n`))
          })
        },
        transform(chunk) {
          reader.push(chunk)
        },
        flush() {
          reader.close()
        },
      }),
    )
    return new Response(stream, { status: res.status, headers })
  }
  const body = res.text().then((text) => {
    try {
      const j = JSON.parse(text) as unknown
      return JSON.stringify(Array.isArray(j) ? j.map(unwrapResponse) : unwrapResponse(j))
    } catch {
      return text
    }
  })
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      try {
        controller.enqueue(encoder.encode(await body))
        controller.close()
      } catch (err) {
        controller.error(err)
      }
    },
  })
  return new Response(stream, { status: res.status, headers })
}

/** Finds and keeps each account's Code Assist project. */
export function createProjectFinder(options: {
  accounts: Pick<AccountService, 'update'>
  /** How long to wait between polls of an onboarding operation (ms). */
  pollMs?: number
}) {
  const inflight = new Map<string, Promise<string>>()
  const pollMs = options.pollMs ?? 2000

  async function call(fetchFn: FetchFn, url: string, token: string, body?: unknown) {
    const res = await fetchFn(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'accept-encoding': 'identity',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
      redirect: 'manual',
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`Code Assist ${url.split(':').at(-1)} answered ${res.status}`)
    return JSON.parse(text) as Record<string, unknown>
  }

  const idOf = (v: unknown) =>
    typeof v === 'string' ? v : String((v as { id?: unknown } | null)?.id ?? '')

  async function discover(entry: PoolEntry, base: string, token: string, fetchFn: FetchFn) {
    const load = await call(fetchFn, `${base}/v1internal:loadCodeAssist`, token, {
      metadata: METADATA,
    })
    let project = idOf(load.cloudaicompanionProject)
    if (!project) {
      const tiers = (Array.isArray(load.allowedTiers) ? load.allowedTiers : []) as {
        id?: string
        isDefault?: boolean
      }[]
      const tierId = tiers.find((t) => t.isDefault)?.id ?? 'legacy-tier'
      let op = await call(fetchFn, `${base}/v1internal:onboardUser`, token, {
        tierId,
        metadata: METADATA,
      })
      for (let i = 0; !op.done && typeof op.name === 'string' && i < 15; i++) {
        await new Promise((r) => setTimeout(r, pollMs))
        op = await call(fetchFn, `${base}/v1internal/${op.name}`, token)
      }
      project = idOf((op.response as Record<string, unknown> | undefined)?.cloudaicompanionProject)
    }
    if (!project)
      throw new Error('Code Assist gave this account no project: set its projectId by hand')
    const account = await options.accounts.update(entry.account.id, {
      options: { discoveredProjectId: project },
    })
    entry.account = account
    return project
  }

  return {
    /** The account's project: set by the admin, found before, or found now (once at a time). */
    async projectOf(entry: PoolEntry, base: string, token: string, fetchFn: FetchFn) {
      const known = knownProject(entry)
      if (known) return known
      const id = entry.account.id
      let p = inflight.get(id)
      if (!p) {
        p = discover(entry, base, token, fetchFn).finally(() => inflight.delete(id))
        inflight.set(id, p)
      }
      return p
    },
  }
}

/** The project finder's interface. */
export type ProjectFinder = ReturnType<typeof createProjectFinder>
